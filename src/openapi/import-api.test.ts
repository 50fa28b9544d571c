import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildImport } from './import-api.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-import-api-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function importWith(sidecar: string) {
  const spec = join(dir, 'local.yaml');
  writeFileSync(spec, 'openapi: 3.0.3\ninfo: { title: Local, version: "1" }\nservers: [{ url: "http://localhost:9/api" }]\npaths:\n  /ping:\n    get: { operationId: ping, responses: { "200": { description: ok } } }\n');
  const side = join(dir, 'local.warden.yaml');
  writeFileSync(side, sidecar);
  const r = await buildImport({ spec, sidecar: side, fingerprint: '' }, { env: {}, tokenTransport: () => () => Promise.reject(new Error('no tokens here')) });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.api;
}

describe('buildImport: a base URL the egress rules would refuse at every call', () => {
  it('warns, naming internal: true, when the host is a loopback literal or localhost', async () => {
    const api = await importWith('allowHttp: true\n');
    expect(api.warnings).toContain('base URL: localhost is a loopback address (127.0.0.0/8): the gateway calls it only for an import configured with internal: true; every call would be refused');
    expect(api.tools.size).toBe(1); // still imported: the sidecar can be fixed while it is served
  });

  it('says nothing once the import is internal', async () => {
    const api = await importWith('allowHttp: true\ninternal: true\n');
    expect(api.warnings.some((w) => w.startsWith('base URL:'))).toBe(false);
  });
});

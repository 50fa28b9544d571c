import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, makeWorkspace } from '../helpers/gateway-process.js';

const GOOD = JSON.stringify({ openapi: '3.1.0', info: { title: 'Good', version: '1' }, paths: { '/a': { get: { operationId: 'getA', responses: { 200: { description: 'ok' } } } } } });

describe('warden check validates the OpenAPI imports too', () => {
  const ws = makeWorkspace();
  const dir = join(ws.dir, 'openapi-imports');
  mkdirSync(dir, { recursive: true });
  afterAll(() => ws.cleanup());

  it('passes with valid imports and says how many tools they give', async () => {
    writeFileSync(join(dir, 'good.json'), GOOD);
    writeFileSync(join(dir, 'good.warden.yaml'), 'baseUrl: https://api.example.test\n');
    const r = await cli(ws, ['check']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('1 OpenAPI import(s) with 1 tool(s)');
  });

  it('fails naming the file and the reason for a spec that cannot be imported, or a bad sidecar', async () => {
    writeFileSync(join(dir, 'broken.json'), '{"openapi": "3.1.0", "paths": {');
    writeFileSync(join(dir, 'bad.yaml'), 'openapi: 3.1.0\ninfo: {title: b, version: "1"}\npaths: {}\n');
    writeFileSync(join(dir, 'bad.warden.yaml'), 'baseUrl: ftp://example.test\nnot_a_key: 1\n');
    const r = await cli(ws, ['check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/broken\.json: \(json\): /);
    expect(r.stderr).toMatch(/bad\.warden\.yaml: baseUrl: must be an absolute http\(s\) URL/);
    expect(r.stderr).toMatch(/bad\.warden\.yaml: not_a_key: unknown key "not_a_key"/);
    rmSync(join(dir, 'broken.json'));
    rmSync(join(dir, 'bad.yaml'));
    rmSync(join(dir, 'bad.warden.yaml'));
  });

  it('fails on a credential reference that does not resolve, like an MCP upstream\'s', async () => {
    writeFileSync(join(dir, 'good.warden.yaml'), 'baseUrl: https://api.example.test\ncredentials:\n  inject:\n    - { in: header, name: X-Api-Key, value: { env: WARDEN_TEST_UNSET_VAR } }\n');
    const r = await cli(ws, ['check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/good\.warden\.yaml: credentials\.inject\[0\]\.value: environment variable WARDEN_TEST_UNSET_VAR is not set\n/);
    expect(r.stderr.match(/good\.warden\.yaml/g)).toHaveLength(1); // the file is named once
  });
});

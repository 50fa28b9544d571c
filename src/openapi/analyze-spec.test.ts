import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeSpec } from './analyze-spec.js';
import { ImportSidecarSchema } from './sidecar-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-analyze-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function analyze(paths: Record<string, unknown>, components: Record<string, unknown> = {}) {
  const specFile = join(dir, `s${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(specFile, JSON.stringify({ openapi: '3.1.0', info: { title: 't', version: '1' }, paths, components }));
  const r = await analyzeSpec({ specFile, sidecarFile: specFile, sidecar: ImportSidecarSchema.parse({ baseUrl: 'https://api.example.test' }) });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.analysis;
}

describe('analyzing a spec', () => {
  it('skips TRACE operations, whose answer echoes the request and its credentials', async () => {
    const a = await analyze({ '/x': { trace: { operationId: 'traceX' }, get: { operationId: 'getX' } } });
    expect(a.operations.map((o) => o.name)).toEqual(['getX']);
    expect(a.skipped).toEqual([{ operation: 'TRACE /x (traceX)', reason: expect.stringContaining('TRACE') }]);
  });

  it('skips path templates whose fixed part is not a valid URL path (spaces, ?, non-ASCII)', async () => {
    const a = await analyze({ '/a b': { get: {} }, '/q?x=1': { get: {} }, '/é': { get: {} }, '/ok/{id}': { get: { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }] } } });
    expect(a.operations.map((o) => o.key)).toEqual(['GET /ok/{id}']);
    expect(a.skipped.map((s) => s.operation)).toEqual(['GET /a b', 'GET /q?x=1', 'GET /é']);
  });

  it('never advertises a parameter the request builder would refuse: a credential name in any place and any case', async () => {
    const schemes = { securitySchemes: { key: { type: 'apiKey', in: 'header', name: 'X-Api-Key' }, q: { type: 'apiKey', in: 'query', name: 'api_key' } } };
    const params = [
      { name: 'x-api-key', in: 'query' },
      { name: 'API_KEY', in: 'header' },
      { name: 'Api_Key', in: 'cookie' },
      { name: 'limit', in: 'query' },
    ].map((p) => ({ ...p, schema: { type: 'string' } }));
    const a = await analyze({ '/x': { get: { operationId: 'getX', parameters: params } } }, schemes);
    expect(Object.keys((a.operations[0]!.definition.inputSchema as { properties: object }).properties)).toEqual(['limit']);
  });

  it('skips path templates with a dot segment in their fixed part, which no call could send', async () => {
    const id = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
    const a = await analyze({ '/a/../../admin/{id}': { get: { parameters: id } }, '/a/%2e%2e/b': { get: {} }, '/v1.2/{id}': { get: { parameters: id } } });
    expect(a.operations.map((o) => o.key)).toEqual(['GET /v1.2/{id}']);
    expect(a.skipped).toEqual([
      { operation: 'GET /a/../../admin/{id}', reason: expect.stringContaining('".." segment') },
      { operation: 'GET /a/%2e%2e/b', reason: expect.stringContaining('".." segment') },
    ]);
  });

  it('hides method-override and forwarding headers from the agent', async () => {
    const params = ['X-HTTP-Method-Override', 'X-Original-URL', 'X-Original-URI', 'Forwarded', 'X-Forwarded-Host', 'X-Forwarded-Uri', 'X-Host', 'X-Trace'].map((name) => ({ name, in: 'header', schema: { type: 'string' } }));
    const a = await analyze({ '/x': { get: { operationId: 'getX', parameters: params } } });
    expect(Object.keys((a.operations[0]!.definition.inputSchema as { properties: object }).properties)).toEqual(['X-Trace']);
  });
});

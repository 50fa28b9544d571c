import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { externalRefs, loadSpec } from './load-spec.js';

const examples = (p: string) => createRequire(import.meta.url).resolve(`@readme/oas-examples/${p}`);

describe('loading a spec', () => {
  it('reads Swagger 2.0 YAML as dereferenced OpenAPI 3.1 (servers, form bodies)', async () => {
    const file = examples('2.0/yaml/petstore.yaml');
    const r = await loadSpec(file, readFileSync(file, 'utf8'));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.spec.version).toBe('2.0');
    expect(r.spec.document.openapi).toMatch(/^3\.1/);
    expect(r.spec.document.servers).toEqual([{ url: 'http://petstore.swagger.io/v2' }]);
    const paths = r.spec.document.paths as Record<string, Record<string, { requestBody?: { content: Record<string, unknown> } }>>;
    expect(Object.keys(paths['/pet/{petId}']!.post!.requestBody!.content)).toEqual(['application/x-www-form-urlencoded']);
  });

  it('turns OpenAPI 3.0 nullable into a 3.1 type array and resolves internal $refs, keeping cycles finite as shared objects', async () => {
    const file = examples('3.0/json/schema-circular.json');
    const r = await loadSpec(file, readFileSync(file, 'utf8'));
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.spec.version).toBe('3.0');
    // No $ref is left, and the recursive schemas became cycles (the same object reached again).
    const seen = new Set<object>();
    let refs = 0;
    let cycles = 0;
    const walk = (v: unknown): void => {
      if (typeof v !== 'object' || v === null) return;
      if (seen.has(v)) {
        cycles++;
        return;
      }
      seen.add(v);
      if ('$ref' in v) refs++;
      for (const child of Object.values(v)) walk(child);
    };
    walk(r.spec.document);
    expect(refs).toBe(0);
    expect(cycles).toBeGreaterThan(0);
    const nullable = await loadSpec('x.json', JSON.stringify({ openapi: '3.0.3', info: { title: 'n', version: '1' }, paths: {}, components: { schemas: { A: { type: 'string', nullable: true } } } }));
    if (!nullable.ok) throw new Error('expected ok');
    expect((nullable.spec.document.components as { schemas: { A: unknown } }).schemas.A).toEqual({ type: ['string', 'null'] });
  });

  it('refuses external $refs (URLs, other files) and names where they are', async () => {
    const spec = {
      openapi: '3.1.0',
      info: { title: 'x', version: '1' },
      paths: { '/a': { get: { responses: { 200: { description: 'ok', content: { 'application/json': { schema: { $ref: 'http://169.254.169.254/latest/meta-data' } } } } } } } },
      components: { schemas: { B: { $ref: 'file:///etc/passwd' }, C: { $ref: '../other.yaml#/C' } } },
    };
    const r = await loadSpec('x.json', JSON.stringify(spec));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]!.message).toContain('external $ref refused');
    expect(r.issues[0]!.message).toContain('169.254.169.254');
    expect(externalRefs(spec).map((e) => e.path)).toEqual(['components.schemas.B', 'components.schemas.C', 'paths./a.get.responses.200.content.application/json.schema']);
  });

  it('reports what is wrong with files that are not specs, without throwing', async () => {
    const cases: Array<[string, string, string]> = [
      ['a.json', '{"openapi": ', 'JSON'],
      ['a.yaml', 'openapi: [', ''],
      ['a.json', '{"openapi": "4.0.0", "paths": {}}', 'neither'],
      ['a.json', '{"swagger": "2.0"}', 'paths'],
      ['a.json', '[1,2]', 'expected an object'],
      ['a.json', '{"openapi":"3.1.0","paths":{},"x":{"__proto__":{"polluted":true}}}', '__proto__'],
      ['a.json', `{"openapi":"3.1.0","paths":${'['.repeat(10_000)}${']'.repeat(10_000)}}`, 'nesting'],
      ['a.yaml', 'openapi: 3.1.0\npaths: {}\n__proto__: {polluted: true}\n', '__proto__'],
      ['a.json', '{"openapi":"3.1.0","paths":{},"x":{"\\u005f_proto__":{"polluted":true}}}', '__proto__'],
    ];
    for (const [file, text, expected] of cases) {
      const r = await loadSpec(file, text);
      expect(r.ok, `${file}: ${text.slice(0, 40)}`).toBe(false);
      if (!r.ok) expect(`${r.issues[0]!.path}: ${r.issues[0]!.message}`).toContain(expected);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('ignores webhooks (3.1 webhooks, x-webhooks) and x- extensions of paths and operations: no warning for what they refer to, since no tool is made of them', async () => {
    const hook = { post: { requestBody: { content: { 'application/json': { examples: { a: { $ref: '#/components/examples/gone' } } } } }, responses: {} } };
    const r = await loadSpec(
      'a.json',
      JSON.stringify({
        openapi: '3.1.0',
        info: { title: 't', version: '1' },
        paths: {
          '/a': {
            'x-vendor': { $ref: '#/components/schemas/gone' },
            get: { operationId: 'a', responses: { 200: { description: 'ok' } }, 'x-breaking-changes': [{ patch: { responses: { $ref: '#/components/responses/gone' } } }] },
          },
        },
        webhooks: { created: hook },
        'x-webhooks': { updated: { ...hook, post: { ...hook.post, parameters: [{ $ref: '#/components/parameters/gone' }] } } },
      }),
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.warnings).toEqual([]);
    expect(r.spec.document.webhooks).toBeUndefined();
  });

  it('loads a JSON spec that repeats a key with the last value, and warns where (a YAML one is refused)', async () => {
    const json = [
      '{',
      '  "openapi": "3.1.0", "info": {"title": "t", "version": "1"},',
      '  "paths": {',
      '    "/a": {"get": {"operationId": "first", "responses": {"200": {"description": "ok"}}}},',
      '    "/a": {"get": {"operationId": "second", "responses": {"200": {"description": "ok"}}}}',
      '  }',
      '}',
    ].join('\n');
    const r = await loadSpec('a.json', json);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.spec.warnings).toEqual(['line 5: an object repeats the key "/a"; only its last value is used']);
    expect(((r.spec.document.paths as Record<string, { get: { operationId: string } }>)['/a']!).get.operationId).toBe('second');

    const clean = await loadSpec('b.json', json.replace('"/a": {"get": {"operationId": "second"', '"/b": {"get": {"operationId": "second"'));
    expect(clean.ok && clean.spec.warnings).toEqual([]);

    const yaml = await loadSpec('a.yaml', 'openapi: 3.1.0\ninfo: {title: t, version: "1"}\npaths:\n  /a: {}\n  /a: {}\n');
    expect(yaml.ok).toBe(false);

    // The key is the spec author's text: controls and bidi overrides are not passed on.
    const sneaky = await loadSpec('c.json', '{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{},"x-\u202e\u0085k":1,"x-\u202e\u0085k":2}');
    expect(sneaky.ok && sneaky.spec.warnings[0]).toBe('line 1: an object repeats the key "x-  k"; only its last value is used');
  });

  it('reads a JSON spec that starts with a byte-order mark', async () => {
    const r = await loadSpec('bom.json', '\ufeff{"openapi":"3.1.0","info":{"title":"t","version":"1"},"paths":{}}');
    expect(r.ok).toBe(true);
  });
});

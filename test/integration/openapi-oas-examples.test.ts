import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, describe, expect, it } from 'vitest';
import { publicToolName } from '../../src/mcp/registry/tool-names.js';
import { buildImport } from '../../src/openapi/import-api.js';

const ROOT = dirname(createRequire(import.meta.url).resolve('@readme/oas-examples/package.json'));

function specFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|ya?ml)$/.test(name)) out.push(p);
    }
  };
  for (const v of ['2.0', '3.0', '3.1']) walk(join(ROOT, v));
  return out;
}

/**
 * Issue #4's proof: every document of @readme/oas-examples imports without a crash, and every
 * tool it produces has a valid name and an input schema that compiles under a JSON Schema
 * 2020-12 validator (Ajv, used here only; the gateway validates with an interpreter).
 */
describe('importing every document of @readme/oas-examples', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'warden-oas-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('imports all of them without a crash; every tool has a valid name and a compiling object schema', async () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const files = specFiles();
    const counts = { documents: files.length, imported: 0, refused: 0, operations: 0, tools: 0, skipped: 0 };
    const refusals: string[] = [];
    const skipReasons = new Map<string, number>();
    // The examples point at servers like petstore.swagger.io or relative paths: the operator's base URL wins.
    const sidecar = join(scratch, 'base.warden.yaml');
    writeFileSync(sidecar, 'baseUrl: https://api.example.test/v1\nmaxTools: 100000\n');
    for (const file of files) {
      const result = await buildImport({ spec: file, sidecar, fingerprint: '' }, { env: {}, tokenTransport: () => () => Promise.reject(new Error('no tokens in this test')) });
      if (!result.ok) {
        counts.refused++;
        refusals.push(`${file.slice(ROOT.length + 1)}: ${result.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
        continue;
      }
      counts.imported++;
      const api = result.api;
      counts.tools += api.tools.size;
      counts.skipped += api.skipped.length;
      counts.operations += api.tools.size + api.skipped.length;
      for (const s of api.skipped) {
        const key = s.reason.replace(/[`"'][^`"']*[`"']/g, '…').slice(0, 80);
        skipReasons.set(key, (skipReasons.get(key) ?? 0) + 1);
      }
      const names = new Set<string>();
      for (const tool of api.tools.values()) {
        const name = publicToolName(api.id, tool.name);
        expect(name, `${basename(file)} ${tool.key}`).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
        expect(names.has(name.toLowerCase()), `${basename(file)}: duplicate ${name}`).toBe(false);
        names.add(name.toLowerCase());
        const schema = tool.definition.inputSchema as Record<string, unknown>;
        expect(schema.type, `${basename(file)} ${tool.key}`).toBe('object');
        for (const k of ['oneOf', 'anyOf', 'allOf']) expect(schema[k], `${basename(file)} ${tool.key} root ${k}`).toBeUndefined();
        expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
        expect(() => ajv.compile(schema), `${basename(file)} ${tool.key}`).not.toThrow();
        // The interpreter the gateway uses accepts it too.
        expect(() => tool.checkArguments()).not.toThrow();
      }
    }
    console.log(`oas-examples: ${JSON.stringify(counts)}`);
    if (refusals.length > 0) console.log(`refused:\n  ${refusals.join('\n  ')}`);
    console.log(`skipped operations by reason:\n${[...skipReasons].sort((a, b) => b[1] - a[1]).map(([r, n]) => `  ${n} x ${r}`).join('\n')}`);
    expect(counts.documents).toBeGreaterThan(100);
    expect(counts.tools).toBeGreaterThan(500);
    // Refused documents must be ones with nothing to import (webhooks only) or that are broken on purpose.
    for (const r of refusals) expect(r).toMatch(/webhooks only|external \$ref|cannot|no server|not an OpenAPI/);
  }, 120_000);
});

/**
 * Every document of @readme/oas-examples (Swagger 2.0, OpenAPI 3.0 and 3.1, JSON and YAML)
 * through the loader's upgrade + dereference and then buildToolInput/buildOutputSchema:
 * nothing throws, and every schema produced is a plain JSON object schema that a 2020-12
 * validator compiles. A YAML file identical in content to its JSON twin is counted, not rerun.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { dereference, upgrade } from '@scalar/openapi-parser';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { HttpMethod } from '../plan.js';
import { buildToolInput } from './input-schema.js';
import { buildOutputSchema } from './output-schema.js';
import { indexSchemaNames } from './schema-names.js';
import { newAjv } from './test-fixtures.js';

const root = dirname(createRequire(import.meta.url).resolve('@readme/oas-examples/package.json'));
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

function documents(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...documents(p));
    else if (/^(2\.0|3\.0|3\.1)\//.test(relative(root, p)) && /\.(json|ya?ml)$/.test(entry.name)) out.push(p);
  }
  return out;
}

const ROOT_COMPOSITIONS = ['oneOf', 'anyOf', 'allOf'];

describe('@readme/oas-examples corpus', () => {
  it('maps every operation of every document to a compiling object input schema, without a throw', () => {
    const files = documents(root);
    const ajv = newAjv();
    const compiled = new Set<string>();
    const seenContent = new Set<string>();
    const counts = { documents: files.length, duplicates: 0, operations: 0, tools: 0, withDefs: 0, outputSchemas: 0, warnings: 0 };
    const versions: Record<string, number> = {};
    const skipped: Record<string, string[]> = {};
    const failures: string[] = [];

    const compiles = (schema: Record<string, unknown>, where: string): void => {
      const text = JSON.stringify(schema);
      if (JSON.stringify(JSON.parse(text)) !== text) failures.push(`${where}: JSON round trip changed the schema`);
      if (compiled.has(text)) return;
      compiled.add(text);
      try {
        ajv.compile(JSON.parse(text) as object);
      } catch (err) {
        failures.push(`${where}: does not compile: ${(err as Error).message}`);
      }
    };

    for (const file of files) {
      const name = relative(root, file);
      const text = readFileSync(file, 'utf8');
      const raw = (file.endsWith('.json') ? JSON.parse(text) : parseYaml(text)) as Record<string, unknown>;
      const content = JSON.stringify(raw);
      if (seenContent.has(content)) {
        counts.duplicates++;
        continue;
      }
      seenContent.add(content);
      const version = String(raw.swagger ?? raw.openapi ?? '?').slice(0, 3);
      versions[version] = (versions[version] ?? 0) + 1;
      const doc = dereference(upgrade(raw).specification).schema as Record<string, any>;
      const names = indexSchemaNames(doc);
      for (const [path, item] of Object.entries<Record<string, any>>(doc.paths ?? {})) {
        if (typeof item !== 'object' || item === null) continue;
        for (const method of METHODS) {
          const operation = item[method];
          if (operation === undefined) continue;
          counts.operations++;
          const where = `${name} ${method.toUpperCase()} ${path}`;
          const r = buildToolInput({
            method: method.toUpperCase() as HttpMethod,
            pathTemplate: path,
            pathItemParameters: Array.isArray(item.parameters) ? item.parameters : [],
            operation,
            isHidden: () => false,
            schemaNames: names,
          });
          if (!r.ok) {
            (skipped[r.reason] ??= []).push(where);
            continue;
          }
          counts.tools++;
          counts.warnings += r.warnings.length;
          if (r.inputSchema.$defs) counts.withDefs++;
          if (r.inputSchema.type !== 'object') failures.push(`${where}: root type ${JSON.stringify(r.inputSchema.type)}`);
          for (const k of ROOT_COMPOSITIONS) if (k in r.inputSchema) failures.push(`${where}: ${k} at the root`);
          if (r.plan.args.length !== Object.keys(r.inputSchema.properties as object).length) failures.push(`${where}: plan args and properties differ`);
          compiles(r.inputSchema, where);

          const out = buildOutputSchema(operation, { schemaNames: names });
          if (out.schema !== null) {
            counts.outputSchemas++;
            if (out.schema.type !== 'object') failures.push(`${where}: output root type ${JSON.stringify(out.schema.type)}`);
            compiles(out.schema, `${where} (output)`);
          }
        }
      }
    }

    console.log(`oas-examples: ${JSON.stringify({ ...counts, versions })}`);
    for (const [reason, where] of Object.entries(skipped)) console.log(`skipped ${where.length}: ${reason} (e.g. ${where[0]})`);
    expect(failures).toEqual([]);
    expect(counts.documents).toBeGreaterThan(100);
    expect(counts.tools).toBeGreaterThan(500);
  });
});

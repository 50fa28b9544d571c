/** Shared by the schema tests (test-fixtures.ts files are left out of the build). */
import { dereference, upgrade } from '@scalar/openapi-parser';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** A document as the loader hands it over: upgraded to 3.1, internal `$ref`s replaced in place. */
export function prepare(doc: Record<string, unknown>): Record<string, any> {
  const upgraded = upgrade(doc).specification;
  return dereference(upgraded).schema as Record<string, any>;
}

export function newAjv(): Ajv2020 {
  return new Ajv2020({ strict: false, logger: false, allErrors: true });
}

/** Throws when some object or array is reachable twice (the output must be a tree, not a graph). */
export function assertTree(value: unknown, seen = new Set<object>()): void {
  if (typeof value !== 'object' || value === null) return;
  if (seen.has(value)) throw new Error('shared reference in output');
  seen.add(value);
  for (const v of Object.values(value)) assertTree(v, seen);
}

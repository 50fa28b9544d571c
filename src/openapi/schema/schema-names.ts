/**
 * Component names for `$defs`. Dereferencing loses them: the dereferencer replaces each
 * `$ref` object by a shallow copy of its target, so a recursive schema reached from an
 * operation is a copy of `components.schemas.X`, not X itself. A copy shares X's values
 * (its `properties`, `items`, `allOf`... objects), so the index maps X and each of X's
 * object values to "X", and a schema is named by the first of those it matches.
 */
import { isPlainObject } from './json-value.js';

export interface SchemaNames {
  nameOf(schema: Record<string, unknown>): string | undefined;
}

export function indexSchemaNames(document: unknown): SchemaNames {
  const components = new Map<object, string>();
  // Kept apart from `components`: one of X's values may itself be a schema (X.items), and
  // must not be named X when it is met on its own.
  const values = new Map<object, string>();
  const section = isPlainObject(document) ? document.components : undefined;
  const schemas = isPlainObject(section) ? section.schemas : undefined;
  if (isPlainObject(schemas)) {
    // Key order of the document: deterministic for one file, and a name that two
    // components would both claim (an alias `B: {$ref: A}` shares A's values) goes to the first.
    for (const [name, schema] of Object.entries(schemas)) {
      if (!isPlainObject(schema)) continue;
      if (!components.has(schema)) components.set(schema, name);
      for (const v of Object.values(schema)) {
        if (typeof v === 'object' && v !== null && !values.has(v)) values.set(v, name);
      }
    }
  }
  return {
    nameOf(schema) {
      const direct = components.get(schema);
      if (direct !== undefined) return direct;
      for (const v of Object.values(schema)) {
        if (typeof v === 'object' && v !== null) {
          const n = values.get(v);
          if (n !== undefined) return n;
        }
      }
      return undefined;
    },
  };
}

export const NO_SCHEMA_NAMES: SchemaNames = { nameOf: () => undefined };

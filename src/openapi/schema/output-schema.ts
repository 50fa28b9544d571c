/**
 * An operation's output schema (opt-in per import), from its success response: the JSON
 * body schema converted for responses, shaped like the structured content the result
 * mapper produces. The mapper passes a JSON object through and wraps any other JSON value
 * as `{ result: value }`; the schema follows the same rule, and when the declared schema
 * allows both an object and a non-object there is no schema that fits both: none is given.
 */
import { SchemaConverter } from './convert-schema.js';
import { isPlainObject, own } from './json-value.js';
import { isJsonMediaType } from './media-type.js';
import type { SchemaNames } from './schema-names.js';
import { shapeOf } from './value-shape.js';

/** A component repeated in one response schema goes to `$defs` once it has this many nodes. */
const SHARE_REPEATED_NODES = 8;

/** Property that holds a non-object JSON result. */
export const RESULT_KEY = 'result';

export function buildOutputSchema(operation: unknown, options: { schemaNames?: SchemaNames; maxNodes?: number } = {}): { schema: Record<string, unknown> | null; warnings: string[] } {
  const warnings: string[] = [];
  const responses = isPlainObject(operation) ? own(operation, 'responses') : undefined;
  if (!isPlainObject(responses)) return { schema: null, warnings };
  const found = firstJsonSuccess(responses);
  if (found === null) return { schema: null, warnings };

  const converter = new SchemaConverter({ direction: 'response', names: options.schemaNames, maxNodes: options.maxNodes, shareRepeated: SHARE_REPEATED_NODES });
  const { schema } = converter.convert(found.schema, { binary: 'keep', label: `response ${found.status} ${found.mediaType}` });
  warnings.push(...converter.warnings);
  if (converter.unresolvedRefs.length > 0) {
    warnings.push(`response ${found.status}: unresolved $ref ${JSON.stringify(converter.unresolvedRefs[0])}; no output schema`);
    return { schema: null, warnings };
  }
  const shape = shapeOf(schema, (s) => converter.resolve(s));
  const defs = converter.rootDefs();
  let root: Record<string, unknown>;
  if (shape === 'object' && isPlainObject(schema)) {
    // A recursive root is a bare `$ref`: the root gets a copy of the entry, which stays for the inner references.
    const resolved = converter.resolve(schema);
    root = resolved !== schema && isPlainObject(resolved) ? (JSON.parse(JSON.stringify(resolved)) as Record<string, unknown>) : schema;
    // A "null" in the type would be wrapped by the mapper, not passed through; the schema describes the object.
    root.type = 'object';
  } else if (shape === 'array' || shape === 'primitive') {
    root = { type: 'object', properties: { [RESULT_KEY]: schema }, required: [RESULT_KEY] };
  } else {
    warnings.push(`response ${found.status}: the schema allows objects and non-objects alike; no output schema`);
    return { schema: null, warnings };
  }
  if (defs !== null) root.$defs = defs;
  return { schema: root, warnings };
}

/** 200, then 201, then the other 2xx codes in order (2XX last): the first with a JSON body schema. */
function firstJsonSuccess(responses: Record<string, unknown>): { status: string; mediaType: string; schema: unknown } | null {
  const codes = Object.keys(responses).filter((c) => /^2(\d\d|XX)$/i.test(c));
  const rank = (c: string): number => (c === '200' ? 0 : c === '201' ? 1 : /XX/i.test(c) ? 3 : 2);
  codes.sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  for (const status of codes) {
    const response = responses[status];
    const content = isPlainObject(response) ? own(response, 'content') : undefined;
    if (!isPlainObject(content)) continue;
    const keys = Object.keys(content).filter(isJsonMediaType).sort((a, b) => Number(b === 'application/json') - Number(a === 'application/json') || (a < b ? -1 : a > b ? 1 : 0));
    for (const mediaType of keys) {
      const media = content[mediaType];
      const schema = isPlainObject(media) ? own(media, 'schema') : undefined;
      if (schema !== undefined) return { status, mediaType, schema };
    }
  }
  return null;
}

/**
 * The shape of a converted schema's values, which decides how style/explode and form
 * encoding serialize an argument. 'any' when the schema allows several shapes or says nothing.
 */
import type { ValueShape } from '../plan.js';
import type { JsonSchema } from './convert-schema.js';
import { isPlainObject } from './json-value.js';

const PRIMITIVE_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);

export function shapeOf(schema: JsonSchema, resolve: (s: JsonSchema) => JsonSchema, depth = 0): ValueShape {
  const s = resolve(schema);
  if (!isPlainObject(s) || depth > 8) return 'any';
  const t = s.type;
  const types = typeof t === 'string' ? [t] : Array.isArray(t) ? t.filter((x): x is string => typeof x === 'string') : null;
  if (types !== null) {
    // null alone carries no shape; "string or null" is still a primitive.
    const real = types.filter((x) => x !== 'null');
    if (real.length === 0) return 'primitive';
    return same(real.map((x) => (x === 'array' ? 'array' : x === 'object' ? 'object' : PRIMITIVE_TYPES.has(x) ? 'primitive' : 'any')));
  }
  if ('properties' in s || 'additionalProperties' in s || 'patternProperties' in s) return 'object';
  if ('items' in s || 'prefixItems' in s) return 'array';
  if (Array.isArray(s.enum) && s.enum.length > 0) return same(s.enum.map(shapeOfValue));
  if ('const' in s) return shapeOfValue(s.const);
  if (Array.isArray(s.allOf)) {
    // Every member holds at once: the first member that knows the shape decides it.
    for (const m of s.allOf) {
      const shape = shapeOf(m as JsonSchema, resolve, depth + 1);
      if (shape !== 'any') return shape;
    }
  }
  for (const k of ['oneOf', 'anyOf'] as const) {
    const members = s[k];
    if (!Array.isArray(members) || members.length === 0) continue;
    // "X or null" (3.0 nullable) has the shape of X.
    const real = members.filter((m) => !(isPlainObject(m) && m.type === 'null'));
    return real.length === 0 ? 'primitive' : same(real.map((m) => shapeOf(m as JsonSchema, resolve, depth + 1)));
  }
  return 'any';
}

function shapeOfValue(v: unknown): ValueShape {
  if (Array.isArray(v)) return 'array';
  if (v !== null && typeof v === 'object') return 'object';
  return 'primitive';
}

function same(shapes: ValueShape[]): ValueShape {
  const first = shapes[0];
  return first !== undefined && shapes.every((x) => x === first) ? first : 'any';
}

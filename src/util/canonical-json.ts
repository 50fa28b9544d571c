import { createHash } from 'node:crypto';

/**
 * Deterministic JSON for hashing: object keys sorted by UTF-16 code units, `undefined`
 * normalized like JSON.stringify does (dropped in objects, null in arrays and at the top),
 * non-finite numbers as null, bigint as a decimal string, `toJSON()` honoured.
 *
 * A cycle becomes the string "[Circular]" and nesting deeper than MAX_DEPTH becomes
 * "[TooDeep]", so one malformed `details` object cannot wedge the writer. It throws only
 * when a `toJSON()` throws, or (unbounded) when the text would pass V8's string limit:
 * the audit writer uses canonicalJsonWithin, which caps the length.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0, [], Infinity) ?? 'null';
}

/**
 * canonicalJson, but gives up (returns null) as soon as the text would exceed `maxLength`
 * characters. Repeated references to one large value (cheap to build and to clone) can
 * otherwise expand into a string past V8's limit (RangeError) or exhaust memory; this never
 * builds more than about `maxLength` characters (plus one escaped string) before stopping.
 */
export function canonicalJsonWithin(value: unknown, maxLength: number): string | null {
  try {
    return encode(value, 0, [], maxLength) ?? 'null';
  } catch (err) {
    if (err === TOO_LARGE) return null;
    throw err;
  }
}

const TOO_LARGE: unique symbol = Symbol('too large');

// Characters JSON.stringify would escape (quote, backslash, controls, any surrogate).
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

/**
 * JSON string literal, identical to JSON.stringify(s): skips the generic serializer for
 * the common case of nothing to escape (measurably faster on the writer's hot path).
 */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

const MAX_DEPTH = 32;

function encode(value: unknown, depth: number, stack: object[], limit: number): string | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length > limit) throw TOO_LARGE;
      return quote(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return JSON.stringify(value.toString());
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
    default:
      break;
  }
  if (value === null) return 'null';
  const obj = value as { toJSON?: unknown };
  if (typeof obj.toJSON === 'function') {
    return encode((obj.toJSON as () => unknown)(), depth, stack, limit);
  }
  if (stack.includes(obj)) return '"[Circular]"';
  if (depth >= MAX_DEPTH) return '"[TooDeep]"';
  stack.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      out += (i ? ',' : '') + (encode(obj[i], depth + 1, stack, limit) ?? 'null');
      if (out.length > limit) throw TOO_LARGE;
    }
    out += ']';
  } else {
    const rec = obj as Record<string, unknown>;
    const keys = Object.keys(rec).sort();
    out = '{';
    for (const key of keys) {
      const enc = encode(rec[key], depth + 1, stack, limit);
      if (enc !== undefined) out += (out.length > 1 ? ',' : '') + quote(key) + ':' + enc;
      if (out.length > limit) throw TOO_LARGE;
    }
    out += '}';
  }
  stack.pop();
  return out;
}

/** Lowercase hex SHA-256 of UTF-8 text. */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

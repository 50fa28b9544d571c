/**
 * Deterministic JSON for hashing: object keys sorted by UTF-16 code units, `undefined`
 * normalized like JSON.stringify does (dropped in objects, null in arrays and at the top),
 * non-finite numbers as null, bigint as a decimal string; `toJSON()` applied once and boxed
 * primitives unwrapped, as JSON.stringify does.
 *
 * A cycle becomes the string "[Circular]" and nesting deeper than MAX_DEPTH becomes
 * "[TooDeep]", so one malformed `details` object cannot wedge the audit trail. It throws only
 * when a `toJSON()` or a getter throws, or (unbounded) when the text would pass V8's string
 * limit: audit records are normalized with canonicalJsonWithin, which caps the length.
 */
export function canonicalJson(value: unknown): string {
  return encode(value, 0, [], Infinity, false) ?? 'null';
}

/**
 * canonicalJson, but gives up (returns null) as soon as the text would exceed `maxLength`
 * characters. Repeated references to one large value (cheap to build and to clone) can
 * otherwise expand into a string past V8's limit (RangeError) or exhaust memory; this never
 * builds more than about `maxLength` characters (plus one escaped string) before stopping.
 */
export function canonicalJsonWithin(value: unknown, maxLength: number): string | null {
  try {
    return encode(value, 0, [], maxLength, false) ?? 'null';
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
 * the common case of nothing to escape (measurably faster on the audit's hot path).
 */
export function quote(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : '"' + s + '"';
}

const MAX_DEPTH = 32;

// `converted`: the value is what a toJSON() returned, which (as in JSON.stringify) is not converted again.
function encode(value: unknown, depth: number, stack: object[], limit: number, converted: boolean): string | undefined {
  switch (typeof value) {
    case 'string':
      if (value.length > limit) throw TOO_LARGE;
      return quote(value);
    case 'number':
      // For finite numbers '' + v is exactly JSON.stringify(v) (including -0 → "0"), without the call.
      return Number.isFinite(value) ? '' + value : 'null';
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
  if (!converted && typeof obj.toJSON === 'function') {
    return encode((obj.toJSON as () => unknown)(), depth, stack, limit, true);
  }
  // Boxed primitives serialize as their value, as in JSON.stringify.
  if (obj instanceof Number || obj instanceof String || obj instanceof Boolean) return encode(obj.valueOf(), depth, stack, limit, true);
  if (stack.includes(obj)) return '"[Circular]"';
  if (depth >= MAX_DEPTH) return '"[TooDeep]"';
  stack.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      out += (i ? ',' : '') + (encode(obj[i], depth + 1, stack, limit, false) ?? 'null');
      if (out.length > limit) throw TOO_LARGE;
    }
    out += ']';
  } else {
    const rec = obj as Record<string, unknown>;
    const keys = sortKeys(Object.keys(rec));
    out = '{';
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const enc = encode(rec[key], depth + 1, stack, limit, false);
      if (enc !== undefined) out += (out.length > 1 ? ',' : '') + quoteKey(key) + ':' + enc;
      if (out.length > limit) throw TOO_LARGE;
    }
    out += '}';
  }
  stack.pop();
  return out;
}

// Records carry a few small objects with short keys: an insertion sort beats the generic
// Array#sort there. Same order: both compare UTF-16 code units, and keys are distinct.
function sortKeys(keys: string[]): string[] {
  if (keys.length > 12) return keys.sort();
  for (let i = 1; i < keys.length; i++) {
    const k = keys[i] as string;
    let j = i - 1;
    while (j >= 0 && (keys[j] as string) > k) {
      keys[j + 1] = keys[j] as string;
      j--;
    }
    keys[j + 1] = k;
  }
  return keys;
}

// The same few keys (policy, decision, ms...) recur in every record: quote each once. Bounded,
// so keys an attacker controls cannot grow it without limit.
const quotedKeys = new Map<string, string>();
const MAX_CACHED_KEYS = 1024;
const MAX_CACHED_KEY_LENGTH = 64;

function quoteKey(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = quote(key);
    if (key.length <= MAX_CACHED_KEY_LENGTH && quotedKeys.size < MAX_CACHED_KEYS) quotedKeys.set(key, q);
  }
  return q;
}

/**
 * Copies of JSON values taken from a spec (enum members, const, default, examples). A
 * dereferenced document can share and even cycle through these values (the dereferencer
 * also walks examples that contain `$ref` keys), and the tool schema must be plain JSON:
 * every value is copied, cycles and non-JSON values refuse the copy, and so does a value
 * bigger than the caller's node allowance.
 */

export type CopyResult = { ok: true; value: unknown; nodes: number } | { ok: false; why: 'cycle' | 'not-json' | 'too-large' };

export function copyJsonValue(value: unknown, maxNodes: number): CopyResult {
  const state = { nodes: 0, max: maxNodes, stack: [] as object[], failure: null as null | 'cycle' | 'not-json' | 'too-large' };
  const copied = copy(value, state);
  if (state.failure) return { ok: false, why: state.failure };
  return { ok: true, value: copied, nodes: state.nodes };
}

interface CopyState {
  nodes: number;
  max: number;
  stack: object[];
  failure: null | 'cycle' | 'not-json' | 'too-large';
}

function copy(value: unknown, state: CopyState): unknown {
  if (state.failure) return undefined;
  if (++state.nodes > state.max) {
    state.failure = 'too-large';
    return undefined;
  }
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      if (Number.isFinite(value)) return value;
      state.failure = 'not-json';
      return undefined;
    case 'object':
      break;
    default:
      state.failure = 'not-json';
      return undefined;
  }
  if (value === null) return null;
  if (state.stack.includes(value)) {
    state.failure = 'cycle';
    return undefined;
  }
  state.stack.push(value);
  let out: unknown;
  if (Array.isArray(value)) {
    out = value.map((v) => copy(v, state));
  } else if (Object.getPrototypeOf(value) === Object.prototype || Object.getPrototypeOf(value) === null) {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) setOwn(o, k, copy(v, state));
    out = o;
  } else {
    // Dates, Maps and the like (a YAML parser's custom tags) are not JSON.
    state.failure = 'not-json';
  }
  state.stack.pop();
  return out;
}

/**
 * Assigns `obj[key]` as an own data property, also for `__proto__`, which a plain
 * assignment would turn into a prototype change instead of a property.
 */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own property only: a spec's `constructor` or `toString` key must never read Object.prototype. */
export function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

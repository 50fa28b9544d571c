/**
 * Removes credential values from text an upstream (or a token endpoint) sent back, before it
 * reaches a result, an error, a log line or the audit trail.
 *
 * Only whole secrets are replaced, never prefixes, so the redaction is no oracle: an agent
 * that makes an upstream echo its guesses learns nothing until it guesses a whole secret.
 *
 * Secrets shorter than MIN_REDACTED_LENGTH are not redacted: replacing every "abc" would
 * shred ordinary text, and a secret that short is guessable anyway (the credential set
 * reports none of this; operators should not use them).
 */
import { MIN_REDACTED_LENGTH, secretPattern } from './secret-pattern.js';

export { MIN_REDACTED_LENGTH };
export const REDACTED = '[REDACTED]';

/** `text` with every occurrence of every secret (in every variant) replaced by [REDACTED]. One pass. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const re = secretPattern(secrets);
  if (re === null) return text;
  re.lastIndex = 0;
  return text.replace(re, REDACTED);
}

/**
 * A copy of a JSON value with secrets redacted in every string and key. Iterative (no stack
 * overflow on deep values) and linear: each object is copied once even when it is shared, so
 * a cyclic input gives a copy with the same cycle instead of endless work. Values that are
 * not plain JSON containers (Buffer, Date, class instances) are kept as they are.
 */
export function redactDeep(value: unknown, secrets: readonly string[]): unknown {
  const re = secretPattern(secrets);
  if (re === null) return value;
  const red = (s: string) => {
    re.lastIndex = 0;
    return re.test(s) ? redactSecrets(s, secrets) : s;
  };
  if (typeof value === 'string') return red(value);
  if (!isContainer(value)) return value;
  // Most answers hold no secret: find that out without copying anything (the same value comes back).
  if (!holdsMatch(value, (s) => {
    re.lastIndex = 0;
    return re.test(s);
  })) return value;

  const copies = new Map<object, object>();
  const root = shell(value);
  copies.set(value, root);
  const stack: object[] = [value];
  while (stack.length > 0) {
    const src = stack.pop() as object;
    const dst = copies.get(src) as object;
    const isArray = Array.isArray(src);
    const entries: Array<[string, unknown]> = isArray ? src.map((v, i) => [String(i), v]) : Object.entries(src);
    for (const [k, v] of entries) {
      let out: unknown = v;
      if (typeof v === 'string') out = red(v);
      else if (isContainer(v)) {
        out = copies.get(v);
        if (out === undefined) {
          out = shell(v);
          copies.set(v, out as object);
          stack.push(v);
        }
      }
      // defineProperty: a "__proto__" key (JSON.parse makes it an own property) stays data.
      Object.defineProperty(dst, isArray ? k : red(k), { value: out, enumerable: true, writable: true, configurable: true });
    }
  }
  return root;
}

function isContainer(v: unknown): v is object {
  if (typeof v !== 'object' || v === null) return false;
  if (Array.isArray(v)) return true;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

function shell(v: object): object {
  return Array.isArray(v) ? new Array<unknown>(v.length) : {};
}

/** True when some string or key inside `value` matches. Iterative; each container visited once. */
function holdsMatch(value: object, matches: (s: string) => boolean): boolean {
  const seen = new Set<object>();
  const stack: object[] = [value];
  while (stack.length > 0) {
    const src = stack.pop() as object;
    if (seen.has(src)) continue;
    seen.add(src);
    const isArray = Array.isArray(src);
    for (const [k, v] of Object.entries(src)) {
      if (!isArray && matches(k)) return true;
      if (typeof v === 'string') {
        if (matches(v)) return true;
      } else if (isContainer(v)) stack.push(v);
    }
  }
  return false;
}

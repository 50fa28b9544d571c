/**
 * The forms a secret can take in text a server sends back, as one search pattern. Shared by
 * the OpenAPI redactor and the LLM proxy's scrubbing of provider answers.
 */

export const MIN_REDACTED_LENGTH = 4;

/** Computed once per secrets array (holders hand out the same array until a secret changes). */
const cache = new WeakMap<readonly string[], { forms: readonly string[]; pattern: RegExp | null }>();

/**
 * The forms in which a secret can come back: as sent, percent-encoded (upper and lower hex,
 * `+` or `%20` for spaces, `!'()*` escaped or not: query keys echoed inside URLs), and JSON-escaped (plain, with
 * non-ASCII as \uXXXX in lower- or upper-case hex, and with "/" as "\/" too as PHP writes it).
 */
function secretVariants(secret: string): string[] {
  const pct = encodeURIComponent(secret);
  // RFC 3986's stricter form (Python's quote, Go's QueryEscape): !'()* escaped too.
  const strict = pct.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const json = JSON.stringify(secret).slice(1, -1);
  const ascii = json.replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  // Upper-case hex, as Java's and .NET's serializers write it.
  const asciiUpper = ascii.replace(/\\u[0-9a-f]{4}/g, (e) => `\\u${e.slice(2).toUpperCase()}`);
  const variants = [
    secret,
    pct,
    pct.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    strict,
    strict.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
    strict.replaceAll('%20', '+'),
    new URLSearchParams([['', secret]]).toString().slice(1),
    json,
    ascii,
    asciiUpper,
    json.replaceAll('/', '\\/'),
    ascii.replaceAll('/', '\\/'),
    asciiUpper.replaceAll('/', '\\/'),
  ];
  return [...new Set(variants)];
}

/** Every form of every secret at least MIN_REDACTED_LENGTH long, longest first. */
export function secretForms(secrets: readonly string[]): readonly string[] {
  return cached(secrets).forms;
}

/** One global alternation of secretForms (longest first); null when there are none. */
export function secretPattern(secrets: readonly string[]): RegExp | null {
  return cached(secrets).pattern;
}

function cached(secrets: readonly string[]): { forms: readonly string[]; pattern: RegExp | null } {
  let c = cache.get(secrets);
  if (c !== undefined) return c;
  const all = new Set<string>();
  for (const s of secrets) {
    if (typeof s !== 'string' || s.length < MIN_REDACTED_LENGTH) continue;
    for (const v of secretVariants(s)) all.add(v);
  }
  // Longest first: `Bearer <token>` and base64(user:pass) go before the parts they contain.
  const forms = [...all].sort((a, b) => b.length - a.length);
  const alts = forms.map((f) => f.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'));
  c = { forms, pattern: alts.length === 0 ? null : new RegExp(alts.join('|'), 'g') };
  cache.set(secrets, c);
  return c;
}

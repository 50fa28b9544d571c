/**
 * The keywords of one schema object that need no recursion: its types, the byte-string
 * rewrite, and the string/number/count constraints, copied when valid and otherwise dropped
 * with a warning (a keyword a validator would reject would fail the whole tool schema).
 */
import type { JsonSchema } from './convert-schema.js';
import { own } from './json-value.js';

/** Reports a dropped or changed keyword of the schema being converted. */
export type Warn = (message: string) => void;

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const COUNTS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains'] as const;

/** The schema's JSON types (3.0's `nullable` adds "null"); `fileType` for Swagger 2.0's `type: file`. */
export function readTypes(src: Record<string, unknown>, warn: Warn): { types: string[] | null; fileType: boolean } {
  const t = own(src, 'type');
  if (t === undefined) return { types: null, fileType: false };
  const raw = typeof t === 'string' ? [t] : Array.isArray(t) ? t : null;
  if (raw === null) {
    warn('type is neither a string nor an array; dropped');
    return { types: null, fileType: false };
  }
  let fileType = false;
  const types: string[] = [];
  for (const x of raw) {
    // Swagger 2.0 `type: file`, should the upgrader ever leave one.
    const name = x === 'file' ? ((fileType = true), 'string') : x;
    if (typeof name !== 'string' || !JSON_TYPES.has(name)) {
      warn(`unknown type ${JSON.stringify(name)} dropped`);
      continue;
    }
    if (!types.includes(name)) types.push(name);
  }
  if (own(src, 'nullable') === true && types.length > 0 && !types.includes('null')) types.push('null');
  return { types: types.length > 0 ? types : null, fileType };
}

/** A string schema that carries bytes (given the types readTypes found). */
export function carriesBytes(src: Record<string, unknown>, types: string[] | null, fileType: boolean): boolean {
  if (types !== null && !types.includes('string')) return false;
  return fileType || own(src, 'format') === 'binary' || typeof own(src, 'contentMediaType') === 'string' || typeof own(src, 'contentEncoding') === 'string';
}

/** The base64 string argument that replaces a byte-carrying schema. */
export function bytesSchema(src: Record<string, unknown>): JsonSchema {
  const description = own(src, 'description');
  const media = own(src, 'contentMediaType');
  const what = typeof media === 'string' && media !== 'application/octet-stream' ? `base64, ${media}` : 'base64';
  const out: Record<string, unknown> = {
    type: 'string',
    contentEncoding: 'base64',
    description: typeof description === 'string' && description.trim() !== '' ? `${description.trimEnd()} (${what})` : `Bytes (${what})`,
  };
  const title = own(src, 'title');
  if (typeof title === 'string') out.title = title;
  if (own(src, 'deprecated') === true) out.deprecated = true;
  return out;
}

export function scalarKeywords(src: Record<string, unknown>, out: Record<string, unknown>, warn: Warn): void {
  const format = own(src, 'format');
  if (typeof format === 'string') out.format = format;
  const pattern = own(src, 'pattern');
  if (typeof pattern === 'string') {
    if (isValidPattern(pattern)) out.pattern = pattern;
    else warn(`pattern ${JSON.stringify(pattern.slice(0, 80))} is not a valid (unicode) regular expression; dropped`);
  }
  for (const k of ['minimum', 'maximum'] as const) {
    const v = own(src, k);
    if (isNumber(v)) out[k] = v;
  }
  // Numeric form is 2020-12; the boolean form (3.0) should be gone after the upgrade, but is mapped anyway.
  for (const [k, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
    const v = own(src, k);
    if (isNumber(v)) out[k] = v;
    else if (v === true && isNumber(out[bound])) {
      out[k] = out[bound];
      delete out[bound];
    }
  }
  const multipleOf = own(src, 'multipleOf');
  if (isNumber(multipleOf) && multipleOf > 0) out.multipleOf = multipleOf;
  for (const k of COUNTS) {
    const v = own(src, k);
    if (v === undefined) continue;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) out[k] = v;
    else warn(`${k} is not a non-negative integer; dropped`);
  }
}

function isNumber(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

const patternCache = new Map<string, boolean>();

/** Validators compile `pattern` with the `u` flag (Ajv does); one that does not compile would fail the whole schema. */
export function isValidPattern(p: string): boolean {
  let ok = patternCache.get(p);
  if (ok === undefined) {
    try {
      new RegExp(p, 'u');
      ok = true;
    } catch {
      ok = false;
    }
    if (patternCache.size >= 10_000) patternCache.clear();
    patternCache.set(p, ok);
  }
  return ok;
}

/**
 * The OpenAPI `style`/`explode` serializations (OAS 3.1 "Style Values" and "Style Examples";
 * RFC 6570 sections 3.2.2, 3.2.5, 3.2.7, 3.2.8 for simple, label, matrix and form). The caller
 * supplies the encoder: strict percent-encoding for URLs, none for headers and multipart.
 *
 * "Undefined" values (null, an empty list, a map with no defined pair; RFC 6570 section 2.3)
 * are written as the style table's `undefined` column says; combinations the table marks
 * n/a produce nothing. Null members of lists and maps are skipped, as RFC 6570 skips them.
 */
import type { ParamStyle } from '../plan.js';
import { ValueProblem } from './percent-encode.js';
import { definedItems, definedPairs, isPlainObject, isUndefinedValue, scalarText } from './values.js';

export type Encode = (text: string) => string;

export const noEncoding: Encode = (text) => text;

/** simple, label or matrix: the text that replaces `{name}` in a path, or a header value. */
export function expandSegmentStyle(style: 'simple' | 'label' | 'matrix', explode: boolean, name: string, value: unknown, enc: Encode): string {
  const prefix = style === 'label' ? '.' : style === 'matrix' ? ';' : '';
  const encName = enc(name);
  const named = (key: string, text: string): string => (text === '' ? `;${key}` : `;${key}=${text}`);
  if (isUndefinedValue(value)) return style === 'matrix' ? `;${encName}` : prefix;
  if (Array.isArray(value)) {
    const items = definedItems(value).map((item) => enc(scalarText(item)));
    if (style === 'matrix') return explode ? items.map((item) => named(encName, item)).join('') : `;${encName}=${items.join(',')}`;
    return prefix + items.join(explode && style === 'label' ? '.' : ',');
  }
  if (isPlainObject(value)) {
    const pairs = definedPairs(value).map(([key, v]) => [enc(key), enc(scalarText(v))] as const);
    if (explode) {
      if (style === 'matrix') return pairs.map(([key, text]) => named(key, text)).join('');
      return prefix + pairs.map(([key, text]) => `${key}=${text}`).join(style === 'label' ? '.' : ',');
    }
    const flat = pairs.map(([key, text]) => `${key},${text}`).join(',');
    return style === 'matrix' ? `;${encName}=${flat}` : prefix + flat;
  }
  const text = enc(scalarText(value));
  return style === 'matrix' ? named(encName, text) : prefix + text;
}

/** One `name=value` pair of a query string, form body, cookie or multipart part. */
export interface Pair {
  /** The name before encoding: the caller checks it against the names it refuses. */
  key: string;
  name: string;
  value: string;
}

/** `name=value` entries; `check` sees each raw name first and throws to refuse it. */
export function pairEntries(pairs: readonly Pair[], check: (key: string) => void = () => {}): string[] {
  const entries: string[] = [];
  for (const pair of pairs) {
    check(pair.key);
    entries.push(`${pair.name}=${pair.value}`);
  }
  return entries;
}

export interface PairEncoders {
  name: Encode;
  value: Encode;
}

/** Nesting beyond this in a deepObject value is refused rather than recursed into. */
const MAX_DEEP_OBJECT_DEPTH = 32;

/**
 * form, spaceDelimited, pipeDelimited, deepObject. Other styles are treated as form.
 * spaceDelimited and pipeDelimited with `explode: true` (n/a in the spec's table) repeat the
 * name, as form does. deepObject nests with brackets recursively and indexes arrays
 * (`a[b][c]=x`, `a[list][0]=x`), as Stripe's form bodies do; the spec defines one level only.
 */
export function expandPairStyle(style: ParamStyle, explode: boolean, name: string, value: unknown, enc: PairEncoders): Pair[] {
  const pair = (key: string, text: string): Pair => ({ key, name: enc.name(key), value: text });
  if (style === 'deepObject') {
    if (isUndefinedValue(value)) return [];
    if (!Array.isArray(value) && !isPlainObject(value)) return [pair(name, enc.value(scalarText(value)))];
    const out: Pair[] = [];
    deepPairs(name, value, 0, (key, text) => out.push(pair(key, enc.value(text))));
    return out;
  }
  if ((style === 'spaceDelimited' || style === 'pipeDelimited') && !explode) {
    if (isUndefinedValue(value)) return [];
    const sep = enc.value(style === 'spaceDelimited' ? ' ' : '|');
    return [pair(name, flatten(value, enc.value).join(sep))];
  }
  const exploding = explode || style === 'spaceDelimited' || style === 'pipeDelimited';
  if (isUndefinedValue(value)) return [pair(name, '')];
  if (Array.isArray(value)) {
    const items = definedItems(value).map((item) => enc.value(scalarText(item)));
    return exploding ? items.map((item) => pair(name, item)) : [pair(name, items.join(','))];
  }
  if (isPlainObject(value) && exploding) {
    return definedPairs(value).map(([key, v]) => pair(key, enc.value(scalarText(v))));
  }
  return [pair(name, flatten(value, enc.value).join(','))];
}

/** The encoded items of a list, the alternating encoded keys and values of a map, or the scalar. */
function flatten(value: unknown, enc: Encode): string[] {
  if (Array.isArray(value)) return definedItems(value).map((item) => enc(scalarText(item)));
  if (isPlainObject(value)) return definedPairs(value).flatMap(([key, v]) => [enc(key), enc(scalarText(v))]);
  return [enc(scalarText(value))];
}

function deepPairs(prefix: string, value: unknown, depth: number, emit: (key: string, text: string) => void): void {
  if (depth === MAX_DEEP_OBJECT_DEPTH) throw new ValueProblem(`is nested deeper than ${MAX_DEEP_OBJECT_DEPTH} levels`);
  const children: Array<[string, unknown]> = Array.isArray(value)
    ? definedItems(value).map((item, i) => [String(i), item])
    : definedPairs(value as Record<string, unknown>);
  for (const [key, child] of children) {
    const childKey = `${prefix}[${key}]`;
    if (Array.isArray(child) || isPlainObject(child)) deepPairs(childKey, child, depth + 1, emit);
    else emit(childKey, scalarText(child));
  }
}

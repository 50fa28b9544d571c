/**
 * Reading argument values. Arguments come from JSON the agent sent, so objects may carry
 * `__proto__` or `constructor` as their own keys: only own enumerable keys are read, and
 * nothing here writes into an object with an agent-chosen key.
 */

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** List members with a defined value: RFC 6570 expansion skips null members. */
export function definedItems(list: readonly unknown[]): unknown[] {
  return list.filter((item) => item !== null && item !== undefined);
}

/** Own (name, value) pairs with a defined value, in insertion order. */
export function definedPairs(obj: Record<string, unknown>): Array<[string, unknown]> {
  const pairs: Array<[string, unknown]> = [];
  for (const key of Object.keys(obj)) {
    const value = obj[key];
    if (value !== null && value !== undefined) pairs.push([key, value]);
  }
  return pairs;
}

/**
 * RFC 6570 section 2.3 "undefined": null, a list with no defined member, a map with no
 * defined pair. The OpenAPI style table has a column for how each style writes it.
 */
export function isUndefinedValue(value: unknown): boolean {
  if (value === null || value === undefined) return true;
  if (Array.isArray(value)) return value.every((item) => item === null || item === undefined);
  if (isPlainObject(value)) return definedPairs(value).length === 0;
  return false;
}

/**
 * Text of a scalar. Arrays and objects nested inside a styled value have no serialization in
 * RFC 6570 or the OpenAPI styles; they are written as compact JSON.
 */
export function scalarText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** A name for a problem message: quoted and escaped, long ones cut (agents may send megabytes). */
export function quoted(text: string): string {
  return JSON.stringify(text.length > 64 ? `${text.slice(0, 64)}...` : text);
}

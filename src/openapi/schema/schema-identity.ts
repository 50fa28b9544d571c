// When two schema objects are one schema, though the dereferencer made copies (see the
// comment at the top of convert-schema.ts).

/**
 * Same schema for recursion purposes: the same object, or a dereferencer copy of it (same
 * keys, the very same values). Callers compare copies only when they share an object value
 * (firstObjectValue): a leaf cannot recur, and leaves equal by value are not one schema.
 */
export function sameSchema(a: Record<string, unknown>, b: Record<string, unknown>): boolean {
  if (a === b) return true;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) if (!Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

/** Cheap pre-filter for sameSchema: copies share their first object value (same key order). */
export function firstObjectValue(o: Record<string, unknown>): object | null {
  for (const k in o) {
    if (!Object.hasOwn(o, k)) continue;
    const v = o[k];
    if (typeof v === 'object' && v !== null) return v;
  }
  return null;
}

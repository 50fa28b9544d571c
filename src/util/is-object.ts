/** A JSON object (not null, not an array): the shape most parsed input is checked for first. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

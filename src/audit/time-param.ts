/**
 * The one parser for user-supplied times (CLI flags, admin query parameters): ISO 8601 or
 * milliseconds since the epoch (digits only). Returns null when the value is neither.
 */
export function parseTimeParam(value: string): number | null {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  return Number.isFinite(n) ? n : null;
}

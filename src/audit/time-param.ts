/** What parseTimeParam accepts, for the error messages of everything that uses it. */
export const TIME_PARAM_FORMS =
  'ISO 8601 with Z or a ±hh:mm offset (2024-05-01T12:00:00Z), a date YYYY-MM-DD (midnight UTC), or epoch milliseconds (digits only)';

// Extended format only: date, then optionally the time (seconds and fraction optional) and a zone.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|([+-])(\d{2}):(\d{2})))?$/;
/** The latest instant a Date can hold. */
const MAX_TIME_MS = 8.64e15;

/**
 * The one parser for user-supplied times (CLI flags, admin query parameters), returning epoch
 * milliseconds, or null for anything else. Strict on purpose, because a time picks which records
 * a reviewer sees or a prune removes: Date.parse would read `1 2` as 2001-01-02 and a date-time
 * without a zone in the host's local time. Accepted: a date-time with Z or a ±hh:mm offset, a
 * date alone (midnight UTC), or digits alone, always epoch milliseconds (so `2024` is 2024 ms
 * after 1970, not the year). A date that is not in the calendar (2030-02-31) is refused.
 */
export function parseTimeParam(value: string): number | null {
  if (/^\d+$/.test(value)) {
    const ms = Number(value);
    return ms <= MAX_TIME_MS ? ms : null;
  }
  const m = ISO.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi, s, oh, om] = [m[1], m[2], m[3], m[4], m[5], m[6], m[9], m[10]].map((v) => Number(v ?? 0)) as [number, number, number, number, number, number, number, number];
  if (h > 23 || mi > 59 || s > 59 || oh > 23 || om > 59) return null;
  // setUTCFullYear, unlike Date.UTC, does not move years 0-99 to the 1900s.
  const day = new Date(0);
  day.setUTCFullYear(y, mo - 1, d);
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d) return null; // rolled over: not a calendar date
  const fraction = Number(((m[7] ?? '') + '000').slice(0, 3));
  const offsetMin = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  return day.getTime() + ((h * 60 + mi - offsetMin) * 60 + s) * 1000 + fraction;
}

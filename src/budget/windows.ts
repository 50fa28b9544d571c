/**
 * Time windows of budgets (pure math, no I/O).
 *
 * Calendar windows are cut at the instants when the wall clock of a time zone reaches the start
 * of a minute / hour / day / month. Precisely, an instant t is a boundary when its local time
 * is exactly such a start, or when the clock jumps forward at t over one (a DST gap that skips
 * local midnight, 02:00 on Lord Howe Island). So a day is 23 h or 25 h long on DST change dates,
 * and the repeated hour of a fall-back change is two one-hour windows (the clock reads 02:00
 * twice), not one of two hours. Windows follow each other without gaps: the end of one is the
 * start of the next.
 *
 * Rolling windows are the last minute / hour / day / 30 days, kept by the caller as sub-buckets
 * aligned to the epoch (so every process and every restart agrees on bucket starts).
 */

export type WindowUnit = 'minute' | 'hour' | 'day' | 'month';

/** [start, end) in ms since the epoch. Shared and frozen: do not modify. */
export interface TimeWindow {
  readonly start: number;
  readonly end: number;
}

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** The Date range: Intl cannot place instants outside it. */
const MAX_INSTANT = 8.64e15;
/**
 * Offset transitions are searched for in steps of this length. The closest two transitions of
 * one zone in the tz database are about four days apart (Africa/Freetown, 1939), so a step never
 * holds two and the bisection inside it finds the one.
 */
const SCAN_STEP = DAY;

// ---------------------------------------------------------------- rolling windows

const ROLLING_WINDOW_MS: Readonly<Record<WindowUnit, number>> = { minute: MINUTE, hour: HOUR, day: DAY, month: 30 * DAY };

/*
 * Bucket lengths: each divides its window exactly and divides a UTC minute / hour / day, so
 * buckets line up with round times; a window holds 60 (minute, hour, month) or 96 (day) of them.
 * A caller counts every bucket that overlaps the window, so the sum covers the window plus at
 * most one bucket more: it never under-counts, and it over-counts by at most 1/60 of the window
 * (1/96 for a day) - spend is released at most one bucket late (1 s, 1 min, 15 min, 12 h).
 * Finer buckets would cost memory and state.db rows per budget for little gain.
 */
const ROLLING_BUCKET_MS: Readonly<Record<WindowUnit, number>> = { minute: SECOND, hour: MINUTE, day: 15 * MINUTE, month: 12 * HOUR };

function lookup(table: Readonly<Record<WindowUnit, number>>, unit: WindowUnit): number {
  const ms = table[unit];
  if (ms === undefined) throw new RangeError(`unknown window unit "${String(unit)}": expected minute, hour, day or month`);
  return ms;
}

/** Length of one rolling sub-bucket: minute 1 s, hour 1 min, day 15 min, month 12 h. */
export function rollingBucketMs(unit: WindowUnit): number {
  return lookup(ROLLING_BUCKET_MS, unit);
}

/** Length of a rolling window: a minute, an hour, a day, or 30 days for `month`. */
export function rollingWindowMs(unit: WindowUnit): number {
  return lookup(ROLLING_WINDOW_MS, unit);
}

/** Start of the sub-bucket containing `at` (buckets are aligned to the epoch). */
export function rollingBucketStart(at: number, unit: WindowUnit): number {
  const b = lookup(ROLLING_BUCKET_MS, unit);
  return Math.floor(at / b) * b;
}

// ---------------------------------------------------------------- time zones

interface Zone {
  readonly fmt: Intl.DateTimeFormat;
  /** The last window computed per unit: most calls land in it again. */
  readonly last: Record<WindowUnit, TimeWindow>;
}

const NO_WINDOW: TimeWindow = Object.freeze({ start: 0, end: 0 });
const zones = new Map<string, Zone>();

function newFormatter(tz: string): Intl.DateTimeFormat {
  // Era so that years BC come out right; latn digits and h23 so that parsing cannot be fooled by locale data.
  return new Intl.DateTimeFormat('en-US', {
    timeZone: tz,
    calendar: 'gregory',
    numberingSystem: 'latn',
    hourCycle: 'h23',
    era: 'short',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
}

function zoneFor(tz: string): Zone {
  let zone = zones.get(tz);
  if (zone === undefined) {
    let fmt: Intl.DateTimeFormat;
    try {
      if (typeof tz !== 'string' || tz === '') throw new RangeError('empty');
      fmt = newFormatter(tz);
    } catch {
      throw new RangeError(`unknown time zone ${JSON.stringify(tz)}: expected an IANA time zone name such as "UTC" or "Europe/Berlin"`);
    }
    zone = { fmt, last: { minute: NO_WINDOW, hour: NO_WINDOW, day: NO_WINDOW, month: NO_WINDOW } };
    zones.set(tz, zone);
  }
  return zone;
}

/** Validates a time zone name (throws RangeError with a clear message for an unknown zone). */
export function checkTimeZone(tz: string): void {
  zoneFor(tz);
}

// ---------------------------------------------------------------- civil dates (proleptic Gregorian)

/*
 * Local times are handled as "wall" numbers: the ms a UTC clock would show for the same date and
 * time, so truncating to a minute, hour or day is plain arithmetic. Date.UTC is not used because
 * it maps years 0-99 to 1900-1999 and refuses values just outside the Date range.
 */

/** Days from 1970-01-01 to year y, month m (1-12), day d. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y; // years counted from March, so the leap day ends a year
  const era = Math.floor(yy / 400);
  const yearOfEra = yy - era * 400;
  const dayOfYear = Math.floor((153 * ((m + 9) % 12) + 2) / 5) + d - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146_097 + dayOfEra - 719_468;
}

/** Wall ms of the first of the month containing wall ms `w` (`next` months later). */
function monthStart(w: number, next: 0 | 1): number {
  const z = Math.floor(w / DAY) + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const marchMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March ... 11 = February
  let m = marchMonth < 10 ? marchMonth + 3 : marchMonth - 9;
  let y = yearOfEra + era * 400 + (m <= 2 ? 1 : 0);
  m += next;
  if (m > 12) {
    m = 1;
    y += 1;
  }
  return daysFromCivil(y, m, 1) * DAY;
}

/** Start of the unit containing wall ms `w`. */
function truncWall(w: number, unit: WindowUnit): number {
  switch (unit) {
    case 'minute':
      return Math.floor(w / MINUTE) * MINUTE;
    case 'hour':
      return Math.floor(w / HOUR) * HOUR;
    case 'day':
      return Math.floor(w / DAY) * DAY;
    case 'month':
      return monthStart(w, 0);
  }
}

/** Start of the unit after the one starting at wall ms `b`. */
function nextWall(b: number, unit: WindowUnit): number {
  switch (unit) {
    case 'minute':
      return b + MINUTE;
    case 'hour':
      return b + HOUR;
    case 'day':
      return b + DAY;
    case 'month':
      return monthStart(b, 1);
  }
}

// ---------------------------------------------------------------- offsets

/** Where formatToParts puts each date field in `fields` of offsetAt. */
const FIELD_INDEX: Partial<Record<Intl.DateTimeFormatPartTypes, number>> = { year: 0, month: 1, day: 2, hour: 3, minute: 4, second: 5 };

/** Offset of local time from UTC at `t`, in ms (offsets are whole seconds, so one per second). */
function offsetAt(zone: Zone, t: number): number {
  const s = Math.floor(Math.min(MAX_INSTANT, Math.max(-MAX_INSTANT, t)) / SECOND) * SECOND;
  const fields = [0, 1, 1, 0, 0, 0];
  let bc = false;
  for (const p of zone.fmt.formatToParts(s)) {
    if (p.type === 'era') bc = p.value === 'BC';
    const i = FIELD_INDEX[p.type];
    if (i !== undefined) fields[i] = Number(p.value);
  }
  const [y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0] = fields;
  // h23 never prints 24, but some ICU versions did for midnight: % 24 keeps it the same day's 00.
  const wall = daysFromCivil(bc ? 1 - y : y, mo, d) * DAY + (h % 24) * HOUR + mi * MINUTE + sec * SECOND;
  return wall - s;
}

/** First whole second in (a, b] whose offset differs from `offA` (the offset at a); the offset at b differs. */
function bisect(zone: Zone, a: number, b: number, offA: number): number {
  let lo = Math.floor(a / SECOND);
  let hi = Math.floor(b / SECOND);
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (offsetAt(zone, mid * SECOND) === offA) lo = mid;
    else hi = mid;
  }
  return hi * SECOND;
}

/** The last offset transition in (lo, hi], where the offset is `offHi` at hi; undefined if none. */
function lastTransition(zone: Zone, lo: number, hi: number, offHi: number): number | undefined {
  let right = hi;
  while (right > lo) {
    const left = Math.max(lo, right - SCAN_STEP);
    const offLeft = offsetAt(zone, left);
    if (offLeft !== offHi) return bisect(zone, left, right, offLeft);
    right = left;
  }
  return undefined;
}

/** The first offset transition in (lo, hi], where the offset is `offLo` at lo; undefined if none. */
function firstTransition(zone: Zone, lo: number, hi: number, offLo: number): number | undefined {
  let left = lo;
  while (left < hi) {
    const right = Math.min(hi, left + SCAN_STEP);
    if (offsetAt(zone, right) !== offLo) return bisect(zone, left, right, offLo);
    left = right;
  }
  return undefined;
}

// ---------------------------------------------------------------- calendar windows

/** The last boundary at or before `at`. */
function windowStart(zone: Zone, at: number, unit: WindowUnit): number {
  for (;;) {
    const off = offsetAt(zone, at);
    const wall = at + off;
    const b = truncWall(wall, unit);
    const candidate = at - (wall - b); // where the clock read b, if the offset held since
    const t = lastTransition(zone, candidate, at, off);
    if (t === undefined) return candidate;
    // The clock jumped at t. If it jumped forward over b, t is the first instant of the unit.
    if (b > t - 1 + offsetAt(zone, t - 1)) return t;
    at = t - 1;
  }
}

/** The first boundary after `at`. */
function windowEnd(zone: Zone, at: number, unit: WindowUnit): number {
  for (;;) {
    const off = offsetAt(zone, at);
    const wall = at + off;
    const candidate = at + (nextWall(truncWall(wall, unit), unit) - wall);
    const t = firstTransition(zone, at, candidate, off);
    if (t === undefined) return candidate;
    const wallT = t + offsetAt(zone, t);
    const b = truncWall(wallT, unit);
    // A boundary if the clock lands exactly on the start of a unit, or jumps forward over one.
    if (wallT === b || b > t - 1 + off) return t;
    at = t;
  }
}

function computeWindow(zone: Zone, at: number, unit: WindowUnit): TimeWindow {
  if (!Number.isFinite(at) || Math.abs(at) > MAX_INSTANT) throw new RangeError(`instant ${at} is outside the Date range`);
  if (ROLLING_WINDOW_MS[unit] === undefined) throw new RangeError(`unknown window unit "${String(unit)}": expected minute, hour, day or month`);
  // Whole ms keep the wall-clock arithmetic exact; the window of floor(at) also holds at.
  const t = Math.floor(at);
  return Object.freeze({ start: windowStart(zone, t, unit), end: windowEnd(zone, t, unit) });
}

/**
 * Calendar window containing `at` (ms since epoch) in time zone `tz`: [start, end).
 * The returned object is shared by every call landing in the same window: do not modify it.
 */
export function calendarWindow(at: number, unit: WindowUnit, tz: string): TimeWindow {
  const zone = zones.get(tz) ?? zoneFor(tz);
  const last = zone.last[unit];
  if (last !== undefined && at >= last.start && at < last.end) return last;
  const w = computeWindow(zone, at, unit);
  zone.last[unit] = w;
  return w;
}

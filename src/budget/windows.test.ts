import { describe, expect, it } from 'vitest';
import { calendarWindow, checkTimeZone, rollingBucketMs, rollingBucketStart, rollingWindowMs, type WindowUnit } from './windows.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
const UNITS: readonly WindowUnit[] = ['minute', 'hour', 'day', 'month'];

function ms(iso: string): number {
  const t = Date.parse(iso);
  if (Number.isNaN(t)) throw new Error(`not an ISO instant: ${iso}`);
  return t;
}
const iso = (t: number): string => new Date(t).toISOString();

// ---------------------------------------------------------------- an independent oracle

/*
 * Local time as the test sees it: UTC offset from Intl's `longOffset` zone name (a different
 * route through ICU than the date fields the module reads), and Date arithmetic for calendar
 * fields. Wall times are "local time written as if it were UTC".
 */
const offsetFormats = new Map<string, Intl.DateTimeFormat>();
function offsetOf(t: number, tz: string): number {
  let f = offsetFormats.get(tz);
  if (f === undefined) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, timeZoneName: 'longOffset' });
    offsetFormats.set(tz, f);
  }
  const name = f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?$/.exec(name);
  if (m === null) throw new Error(`unexpected offset name ${name}`);
  if (m[1] === undefined) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * HOUR + Number(m[3]) * MINUTE + Number(m[4] ?? 0) * SECOND);
}
const wallOf = (t: number, tz: string): number => t + offsetOf(t, tz);

function utcDate(y: number, monthIndex: number, day: number): number {
  const d = new Date(0);
  d.setUTCFullYear(y, monthIndex, day); // unlike Date.UTC, keeps years 0-99
  return d.getTime();
}

/** Start of the unit containing wall time `w`. */
function unitStart(w: number, unit: WindowUnit): number {
  if (unit === 'month') {
    const d = new Date(w);
    return utcDate(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
  const len = unit === 'minute' ? MINUTE : unit === 'hour' ? HOUR : DAY;
  return w - (((w % len) + len) % len);
}

/** The clock reads the start of a unit at t, or jumps forward over one at t. */
function isBoundary(t: number, unit: WindowUnit, tz: string): boolean {
  const w = wallOf(t, tz);
  const u = unitStart(w, unit);
  return w === u || u > wallOf(t - 1, tz);
}

/** Instants in (a, b) where the offset changes (ms bisection; tz transitions are days apart). */
function transitionsIn(a: number, b: number, tz: string, step = DAY): number[] {
  const out: number[] = [];
  let p = a;
  let off = offsetOf(p, tz);
  while (p < b - 1) {
    const q = Math.min(p + step, b - 1);
    const offQ = offsetOf(q, tz);
    if (offQ === off) {
      p = q;
      continue;
    }
    let lo = p;
    let hi = q;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetOf(mid, tz) === off) lo = mid;
      else hi = mid;
    }
    out.push(hi);
    p = hi;
    off = offsetOf(hi, tz);
  }
  return out;
}

/** Checks everything a calendar window must satisfy; returns a description of the first violation. */
function violation(at: number, unit: WindowUnit, tz: string): string | undefined {
  const { start, end } = calendarWindow(at, unit, tz);
  const where = `${tz} ${unit} at ${iso(at)} -> [${iso(start)}, ${iso(end)})`;
  if (!(start <= at && at < end)) return `${where}: does not contain the instant`;
  if (!isBoundary(start, unit, tz)) return `${where}: start is not at the start of a local ${unit}`;
  if (!isBoundary(end, unit, tz)) return `${where}: end is not at the start of a local ${unit}`;
  // No boundary inside: between offset changes the clock runs evenly and must not reach the
  // start of a unit; at an offset change it must neither land on one nor jump over one.
  const cuts = [start, ...transitionsIn(start, end, tz), end];
  for (let i = 0; i + 1 < cuts.length; i++) {
    const p = cuts[i] as number;
    const q = cuts[i + 1] as number;
    if (i > 0 && isBoundary(p, unit, tz)) return `${where}: contains a boundary at the offset change ${iso(p)}`;
    if (unitStart(wallOf(q - 1, tz), unit) > wallOf(p, tz)) return `${where}: the clock reaches the start of a ${unit} inside [${iso(p)}, ${iso(q)})`;
  }
  if (calendarWindow(end, unit, tz).start !== end) return `${where}: the next window does not start at the end`;
  if (calendarWindow(start - 1, unit, tz).end !== start) return `${where}: the previous window does not end at the start`;
  return undefined;
}

/** Deterministic pseudo-random numbers in [0, 1) (xorshift32), so a failure can be replayed. */
function seeded(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

// ---------------------------------------------------------------- calendar windows: known answers

type Row = [why: string, tz: string, unit: WindowUnit, at: string, start: string, end: string];

const ROWS: Row[] = [
  // UTC, month lengths, leap years, year boundaries
  ['UTC minute', 'UTC', 'minute', '2024-05-05T10:10:42.123Z', '2024-05-05T10:10:00Z', '2024-05-05T10:11:00Z'],
  ['UTC hour', 'UTC', 'hour', '2024-05-05T10:10:42.123Z', '2024-05-05T10:00:00Z', '2024-05-05T11:00:00Z'],
  ['UTC day', 'UTC', 'day', '2024-05-05T10:10:42.123Z', '2024-05-05T00:00:00Z', '2024-05-06T00:00:00Z'],
  ['an instant on a boundary opens the window', 'UTC', 'day', '2025-01-01T00:00:00.000Z', '2025-01-01T00:00:00Z', '2025-01-02T00:00:00Z'],
  ['the last ms of a year is in December', 'UTC', 'month', '2024-12-31T23:59:59.999Z', '2024-12-01T00:00:00Z', '2025-01-01T00:00:00Z'],
  ['a 30-day month', 'UTC', 'month', '2024-04-30T12:00:00Z', '2024-04-01T00:00:00Z', '2024-05-01T00:00:00Z'],
  ['February of a leap year', 'UTC', 'month', '2024-02-29T12:00:00Z', '2024-02-01T00:00:00Z', '2024-03-01T00:00:00Z'],
  ['February of a common year', 'UTC', 'month', '2023-02-10T00:00:00Z', '2023-02-01T00:00:00Z', '2023-03-01T00:00:00Z'],
  ['2000 is a leap year', 'UTC', 'month', '2000-02-10T00:00:00Z', '2000-02-01T00:00:00Z', '2000-03-01T00:00:00Z'],
  ['2100 is not a leap year', 'UTC', 'month', '2100-02-10T00:00:00Z', '2100-02-01T00:00:00Z', '2100-03-01T00:00:00Z'],
  // Europe/Berlin: CET +1, CEST +2; changes at 01:00 UTC on the last Sundays of March and October
  ['Berlin spring-forward day is 23 h', 'Europe/Berlin', 'day', '2024-03-31T12:00:00Z', '2024-03-30T23:00:00Z', '2024-03-31T22:00:00Z'],
  ['Berlin fall-back day is 25 h', 'Europe/Berlin', 'day', '2024-10-27T12:00:00Z', '2024-10-26T22:00:00Z', '2024-10-27T23:00:00Z'],
  ['Berlin hour before the clock jumps 02:00 -> 03:00', 'Europe/Berlin', 'hour', '2024-03-31T00:59:59.999Z', '2024-03-31T00:00:00Z', '2024-03-31T01:00:00Z'],
  ['Berlin hour from 03:00 CEST, right after the jump', 'Europe/Berlin', 'hour', '2024-03-31T01:00:00Z', '2024-03-31T01:00:00Z', '2024-03-31T02:00:00Z'],
  ['Berlin first 02:00-03:00 (CEST) of the fall-back night', 'Europe/Berlin', 'hour', '2024-10-27T00:30:00Z', '2024-10-27T00:00:00Z', '2024-10-27T01:00:00Z'],
  ['Berlin second 02:00-03:00 (CET) of the fall-back night', 'Europe/Berlin', 'hour', '2024-10-27T01:30:00Z', '2024-10-27T01:00:00Z', '2024-10-27T02:00:00Z'],
  ['Berlin March (743 h)', 'Europe/Berlin', 'month', '2024-03-15T12:00:00Z', '2024-02-29T23:00:00Z', '2024-03-31T22:00:00Z'],
  ['Berlin October (745 h)', 'Europe/Berlin', 'month', '2024-10-15T12:00:00Z', '2024-09-30T22:00:00Z', '2024-10-31T23:00:00Z'],
  ['Berlin new year day, 23:30 UTC on Dec 31', 'Europe/Berlin', 'day', '2024-12-31T23:30:00Z', '2024-12-31T23:00:00Z', '2025-01-01T23:00:00Z'],
  ['Berlin January, 23:30 UTC on Dec 31', 'Europe/Berlin', 'month', '2024-12-31T23:30:00Z', '2024-12-31T23:00:00Z', '2025-01-31T23:00:00Z'],
  // America/New_York: EST -5, EDT -4
  ['New York spring-forward day', 'America/New_York', 'day', '2024-03-10T12:00:00Z', '2024-03-10T05:00:00Z', '2024-03-11T04:00:00Z'],
  ['New York fall-back day', 'America/New_York', 'day', '2024-11-03T12:00:00Z', '2024-11-03T04:00:00Z', '2024-11-04T05:00:00Z'],
  // half- and quarter-hour offsets
  ['Kolkata (+05:30) hours start at :30 UTC', 'Asia/Kolkata', 'hour', '2024-05-05T10:10:00Z', '2024-05-05T09:30:00Z', '2024-05-05T10:30:00Z'],
  ['Kolkata day starts at 18:30 UTC', 'Asia/Kolkata', 'day', '2024-05-05T10:10:00Z', '2024-05-04T18:30:00Z', '2024-05-05T18:30:00Z'],
  ['Kolkata minutes line up with UTC minutes', 'Asia/Kolkata', 'minute', '2024-05-05T10:10:42Z', '2024-05-05T10:10:00Z', '2024-05-05T10:11:00Z'],
  ['Kathmandu (+05:45) hours start at :15 UTC', 'Asia/Kathmandu', 'hour', '2024-05-05T10:10:00Z', '2024-05-05T09:15:00Z', '2024-05-05T10:15:00Z'],
  ['Kathmandu day starts at 18:15 UTC', 'Asia/Kathmandu', 'day', '2024-05-05T10:10:00Z', '2024-05-04T18:15:00Z', '2024-05-05T18:15:00Z'],
  // Australia/Lord_Howe: +10:30, +11 in summer; 02:00 -> 02:30 on 2024-10-06, 02:00 -> 01:30 on 2024-04-07
  ['Lord Howe hour 01:00-02:00 before the half-hour jump', 'Australia/Lord_Howe', 'hour', '2024-10-05T15:15:00Z', '2024-10-05T14:30:00Z', '2024-10-05T15:30:00Z'],
  ['Lord Howe hour 02:30-03:00 after the jump is 30 min', 'Australia/Lord_Howe', 'hour', '2024-10-05T15:45:00Z', '2024-10-05T15:30:00Z', '2024-10-05T16:00:00Z'],
  ['Lord Howe hour 01:00-02:00 with 01:30-02:00 twice is 90 min', 'Australia/Lord_Howe', 'hour', '2024-04-06T15:15:00Z', '2024-04-06T14:00:00Z', '2024-04-06T15:30:00Z'],
  ['Lord Howe spring-forward day is 23.5 h', 'Australia/Lord_Howe', 'day', '2024-10-06T00:00:00Z', '2024-10-05T13:30:00Z', '2024-10-06T13:00:00Z'],
  ['Lord Howe fall-back day is 24.5 h', 'Australia/Lord_Howe', 'day', '2024-04-07T00:00:00Z', '2024-04-06T13:00:00Z', '2024-04-07T13:30:00Z'],
  // America/Santiago changes at local midnight: 00:00 -> 01:00 on 2024-09-08, 00:00 -> 23:00 on 2024-04-07
  ['Santiago day without a midnight starts at 01:00', 'America/Santiago', 'day', '2024-09-08T12:00:00Z', '2024-09-08T04:00:00Z', '2024-09-09T03:00:00Z'],
  ['Santiago day before the skipped midnight', 'America/Santiago', 'day', '2024-09-08T03:59:59.999Z', '2024-09-07T04:00:00Z', '2024-09-08T04:00:00Z'],
  ['Santiago day whose 23:00-00:00 happens twice', 'America/Santiago', 'day', '2024-04-07T03:30:00Z', '2024-04-06T03:00:00Z', '2024-04-07T04:00:00Z'],
  ['Santiago September starts with the month', 'America/Santiago', 'month', '2024-09-08T12:00:00Z', '2024-09-01T04:00:00Z', '2024-10-01T03:00:00Z'],
  // Pacific/Apia skipped 2011-12-30 (-10 -> +14); Pacific/Kiritimati is +14
  ['Apia Dec 29 ends where Dec 31 starts', 'Pacific/Apia', 'day', '2011-12-30T09:59:59.999Z', '2011-12-29T10:00:00Z', '2011-12-30T10:00:00Z'],
  ['Apia Dec 31 follows Dec 29', 'Pacific/Apia', 'day', '2011-12-30T10:00:00Z', '2011-12-30T10:00:00Z', '2011-12-31T10:00:00Z'],
  ['Apia December 2011 lasted 30 days', 'Pacific/Apia', 'month', '2011-12-15T00:00:00Z', '2011-12-01T10:00:00Z', '2011-12-31T10:00:00Z'],
  ['Kiritimati is in the new year first', 'Pacific/Kiritimati', 'month', '2024-12-31T10:00:00Z', '2024-12-31T10:00:00Z', '2025-01-31T10:00:00Z'],
  // far past and future
  ['Berlin local mean time (+00:53:28) in 1800: day', 'Europe/Berlin', 'day', '1800-03-15T12:00:00Z', '1800-03-14T23:06:32Z', '1800-03-15T23:06:32Z'],
  ['Berlin local mean time in 1800: minutes start at :32 s UTC', 'Europe/Berlin', 'minute', '1800-03-15T12:00:00Z', '1800-03-15T11:59:32Z', '1800-03-15T12:00:32Z'],
  ['year 0 (1 BC) is a leap year', 'UTC', 'month', '0000-02-15T00:00:00Z', '0000-02-01T00:00:00Z', '0000-03-01T00:00:00Z'],
  ['year -100 is not a leap year', 'UTC', 'month', '-000100-02-15T00:00:00Z', '-000100-02-01T00:00:00Z', '-000100-03-01T00:00:00Z'],
  ['Berlin summer time in 9999', 'Europe/Berlin', 'day', '9999-07-15T12:00:00Z', '9999-07-14T22:00:00Z', '9999-07-15T22:00:00Z'],
  ['Berlin July in year 100000', 'Europe/Berlin', 'month', '+100000-07-15T12:00:00Z', '+100000-06-30T22:00:00Z', '+100000-07-31T22:00:00Z'],
  ['the first day of the Date range', 'UTC', 'day', '-271821-04-20T00:00:00Z', '-271821-04-20T00:00:00Z', '-271821-04-21T00:00:00Z'],
];

describe('calendarWindow', () => {
  for (const [why, tz, unit, at, start, end] of ROWS) {
    it(`${why} (${tz} ${unit} at ${at})`, () => {
      const w = calendarWindow(ms(at), unit, tz);
      expect({ start: iso(w.start), end: iso(w.end) }).toEqual({ start: iso(ms(start)), end: iso(ms(end)) });
    });
  }

  it('gives a window reaching past the end of the Date range for its last instant', () => {
    const last = ms('+275760-09-13T00:00:00Z'); // 8.64e15, the largest Date
    expect(calendarWindow(last, 'month', 'UTC')).toEqual({ start: ms('+275760-09-01T00:00:00Z'), end: last + 18 * DAY });
    const berlin = calendarWindow(last, 'day', 'Europe/Berlin'); // CEST: the day started 22:00 UTC the evening before
    expect(berlin).toEqual({ start: last - 2 * HOUR, end: last + 22 * HOUR });
  });

  it('puts a fractional instant in the window of its millisecond', () => {
    const at = ms('2024-03-31T00:59:59.999Z') + 0.7;
    expect(calendarWindow(at, 'hour', 'Europe/Brussels')).toEqual({ start: ms('2024-03-31T00:00:00Z'), end: ms('2024-03-31T01:00:00Z') });
    expect(calendarWindow(ms('2024-05-05T10:10:00Z') + 0.1, 'day', 'Asia/Kathmandu')).toEqual({ start: ms('2024-05-04T18:15:00Z'), end: ms('2024-05-05T18:15:00Z') });
  });

  it('refuses instants outside the Date range and NaN', () => {
    expect(() => calendarWindow(8.64e15 + 1, 'day', 'UTC')).toThrow(RangeError);
    expect(() => calendarWindow(-8.64e15 - 1, 'day', 'UTC')).toThrow(RangeError);
    expect(() => calendarWindow(Number.NaN, 'day', 'UTC')).toThrow(RangeError);
  });

  it('refuses an unknown unit and an unknown zone with a RangeError', () => {
    expect(() => calendarWindow(0, 'week' as WindowUnit, 'UTC')).toThrow(/unknown window unit "week"/);
    expect(() => calendarWindow(0, 'day', 'Mars/Olympus_Mons')).toThrow(RangeError);
  });

  it('hands back the same frozen window for every instant inside it', () => {
    const a = calendarWindow(ms('2024-05-05T10:10:00Z'), 'hour', 'Asia/Kathmandu');
    const b = calendarWindow(ms('2024-05-05T10:14:59.999Z'), 'hour', 'Asia/Kathmandu');
    expect(b).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
    const next = calendarWindow(ms('2024-05-05T10:15:00Z'), 'hour', 'Asia/Kathmandu');
    expect(next).not.toBe(a);
    expect(next.start).toBe(a.end);
  });

  it('recomputes when the clock goes back to an earlier window', () => {
    calendarWindow(ms('2024-10-27T01:30:00Z'), 'hour', 'Europe/Berlin');
    const earlier = calendarWindow(ms('2024-10-27T00:59:59.999Z'), 'hour', 'Europe/Berlin');
    expect({ start: iso(earlier.start), end: iso(earlier.end) }).toEqual({ start: '2024-10-27T00:00:00.000Z', end: '2024-10-27T01:00:00.000Z' });
  });

  it('keeps the remembered window per zone and per unit', () => {
    const at = ms('2024-05-05T10:10:00Z');
    for (let i = 0; i < 3; i++) {
      expect(iso(calendarWindow(at, 'hour', 'Asia/Kolkata').start)).toBe('2024-05-05T09:30:00.000Z');
      expect(iso(calendarWindow(at, 'hour', 'Asia/Kathmandu').start)).toBe('2024-05-05T09:15:00.000Z');
      expect(iso(calendarWindow(at, 'day', 'Asia/Kathmandu').start)).toBe('2024-05-04T18:15:00.000Z');
      expect(iso(calendarWindow(at, 'minute', 'Asia/Kathmandu').start)).toBe('2024-05-05T10:10:00.000Z');
    }
  });

  it('gives the same windows for instants in any order as for instants in time order', () => {
    // 'europe/berlin' names the same zone under another key, so it has its own remembered windows.
    const random = seeded(6);
    const instants = Array.from({ length: 300 }, () => ms('2024-10-26T20:00:00Z') + Math.floor(random() * 8 * HOUR));
    const sorted = [...instants].sort((x, y) => x - y);
    for (const unit of UNITS) {
      const inOrder = new Map(sorted.map((t) => [t, { ...calendarWindow(t, unit, 'Europe/Berlin') }]));
      for (const t of instants) expect({ ...calendarWindow(t, unit, 'europe/berlin') }).toEqual(inOrder.get(t));
    }
  });
});

// ---------------------------------------------------------------- calendar windows: properties

describe('calendarWindow over every zone', () => {
  // ICU lists some zones under older names (Asia/Katmandu); the names in use are added.
  const zones = [...new Set([...Intl.supportedValuesOf('timeZone'), 'Asia/Kathmandu', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Apia'])];
  const random = seeded(20_240_331);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;

  it('contains the instant, starts and ends at the start of a local unit, holds no other, and meets its neighbours (instants next to offset changes)', () => {
    // For each zone, the offset changes of one random year from 1850 to 2150, and instants on,
    // just before and near each (where DST mistakes live).
    const problems: string[] = [];
    let checked = 0;
    for (const tz of zones) {
      const year = 1850 + Math.floor(random() * 300);
      const changes = transitionsIn(utcDate(year, 0, 1), utcDate(year + 1, 0, 1), tz, 3 * DAY).slice(0, 3);
      for (const t of changes) {
        for (const at of [t - 1, t, t + Math.floor((random() - 0.5) * 6 * HOUR)]) {
          const problem = violation(at, pick(UNITS), tz);
          if (problem !== undefined) problems.push(problem);
          checked++;
        }
      }
    }
    expect(problems).toEqual([]);
    expect(checked).toBeGreaterThan(300);
  });

  it('contains the instant, starts and ends at the start of a local unit, holds no other, and meets its neighbours (random instants, years -3000 to 12000)', () => {
    const problems: string[] = [];
    const from = utcDate(-3000, 0, 1);
    const to = utcDate(12_000, 0, 1);
    for (const tz of zones) {
      for (let i = 0; i < 2; i++) {
        const problem = violation(from + Math.floor(random() * (to - from)), pick(UNITS), tz);
        if (problem !== undefined) problems.push(problem);
      }
    }
    expect(problems).toEqual([]);
  });

  it('lasts exactly one unit of local time where the offset does not change (random instants, 1900 to 2100)', () => {
    const problems: string[] = [];
    const from = utcDate(1900, 0, 1);
    const to = utcDate(2100, 0, 1);
    for (let i = 0; i < 400; i++) {
      const tz = pick(zones);
      const unit = pick(UNITS);
      const at = from + Math.floor(random() * (to - from));
      const { start, end } = calendarWindow(at, unit, tz);
      if (offsetOf(start, tz) !== offsetOf(end, tz) || transitionsIn(start, end, tz).length > 0) continue;
      const localStart = new Date(wallOf(start, tz));
      const expectedEnd =
        unit === 'month'
          ? utcDate(localStart.getUTCFullYear(), localStart.getUTCMonth() + 1, 1) - offsetOf(start, tz)
          : start + (unit === 'minute' ? MINUTE : unit === 'hour' ? HOUR : DAY);
      const fields = [localStart.getUTCDate(), localStart.getUTCHours(), localStart.getUTCMinutes(), localStart.getUTCSeconds(), localStart.getUTCMilliseconds()];
      const zeroFrom = { month: 0, day: 1, hour: 2, minute: 3 }[unit]; // fields from here on must read 1 (date) or 0
      const startsRight = fields.every((v, k) => k < zeroFrom || v === (k === 0 ? 1 : 0));
      if (!startsRight || end !== expectedEnd) problems.push(`${tz} ${unit} at ${iso(at)} -> [${iso(start)}, ${iso(end)})`);
    }
    expect(problems).toEqual([]);
  });
});

// ---------------------------------------------------------------- rolling windows

describe('rolling windows', () => {
  it('are a minute, an hour, a day and 30 days long', () => {
    expect(UNITS.map(rollingWindowMs)).toEqual([60_000, 3_600_000, 86_400_000, 30 * 86_400_000]);
  });

  it('use buckets of 1 s, 1 min, 15 min and 12 h', () => {
    expect(UNITS.map(rollingBucketMs)).toEqual([SECOND, MINUTE, 15 * MINUTE, 12 * HOUR]);
  });

  it('split each window into a whole number of at most 100 buckets', () => {
    for (const unit of UNITS) {
      const n = rollingWindowMs(unit) / rollingBucketMs(unit);
      expect(Number.isInteger(n) && n >= 60 && n <= 100, `${unit}: ${n} buckets`).toBe(true);
    }
  });

  it('start buckets at round UTC times', () => {
    const at = ms('2024-05-05T10:17:42.500Z');
    expect(UNITS.map((u) => iso(rollingBucketStart(at, u)))).toEqual([
      '2024-05-05T10:17:42.000Z',
      '2024-05-05T10:17:00.000Z',
      '2024-05-05T10:15:00.000Z',
      '2024-05-05T00:00:00.000Z',
    ]);
    expect(rollingBucketStart(ms('2024-05-05T12:00:00Z'), 'month')).toBe(ms('2024-05-05T12:00:00Z'));
  });

  it('put every instant, before 1970 too, in the bucket starting at or before it', () => {
    const random = seeded(42);
    for (let i = 0; i < 1000; i++) {
      const unit = UNITS[i % 4] as WindowUnit;
      const at = Math.floor((random() - 0.5) * 2 * 8.64e15);
      const start = rollingBucketStart(at, unit);
      expect(start <= at && at < start + rollingBucketMs(unit)).toBe(true);
      expect(start % rollingBucketMs(unit) === 0).toBe(true);
    }
    expect(rollingBucketStart(-1, 'minute')).toBe(-1000);
  });

  it('refuse an unknown unit', () => {
    expect(() => rollingBucketMs('week' as WindowUnit)).toThrow(RangeError);
    expect(() => rollingWindowMs('week' as WindowUnit)).toThrow(RangeError);
    expect(() => rollingBucketStart(0, 'week' as WindowUnit)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------- time zone names

describe('checkTimeZone', () => {
  it('accepts IANA names, aliases and any letter case', () => {
    for (const tz of ['UTC', 'Europe/Berlin', 'Asia/Calcutta', 'europe/berlin', 'Etc/GMT+5']) expect(() => checkTimeZone(tz)).not.toThrow();
  });

  it('refuses unknown and empty names with a RangeError naming the zone', () => {
    expect(() => checkTimeZone('Mars/Olympus_Mons')).toThrow(/unknown time zone "Mars\/Olympus_Mons".*IANA/);
    expect(() => checkTimeZone('')).toThrow(RangeError);
  });
});

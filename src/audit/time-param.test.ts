import { describe, expect, it } from 'vitest';
import { parseTimeParam } from './time-param.js';

describe('parseTimeParam', () => {
  it('reads a date-time with Z or an offset, a date alone as midnight UTC, and digits alone as epoch milliseconds', () => {
    const cases: Array<[string, number]> = [
      ['2023-11-14T22:13:20.000Z', 1_700_000_000_000],
      ['2023-11-14T22:13:20Z', 1_700_000_000_000],
      ['2023-11-14T22:13Z', 1_700_000_000_000 - 20_000],
      ['2023-11-14T22:13:20.123456789Z', 1_700_000_000_123],
      ['2023-11-15T00:13:20+02:00', 1_700_000_000_000],
      ['2023-11-14T18:43:20-03:30', 1_700_000_000_000],
      ['2024-05-01', Date.UTC(2024, 4, 1)],
      ['2024-02-29', Date.UTC(2024, 1, 29)],
      ['0050-01-01', new Date('0050-01-01T00:00:00Z').getTime()],
      ['1700000000000', 1_700_000_000_000],
      ['2024', 2024],
      ['0', 0],
    ];
    for (const [text, ms] of cases) expect(parseTimeParam(text), text).toBe(ms);
  });

  it('refuses what Date.parse would guess at: free text, no zone, other separators, dates not in the calendar', () => {
    for (const text of [
      '1 2', // Date.parse: 2001-01-02
      'yesterday',
      '2024-01-01T00:00:00', // no zone: Date.parse takes the host's
      '2024-01-01 00:00:00Z',
      '2024-01-01t00:00:00z',
      '2024-01-01T00:00:00+0200',
      '2024-1-1',
      '20240101T000000Z',
      '2030-02-31',
      '2023-02-29',
      '2024-13-01',
      '2024-00-10',
      '2024-01-00',
      '2024-01-01T24:00:00Z',
      '2024-01-01T23:60:00Z',
      '2024-01-01T23:59:60Z',
      '2024-01-01T00:00:00+24:00',
      'Mon, 01 Jan 2024 00:00:00 GMT',
      '-1',
      '1.5',
      ' 1700000000000',
      '99999999999999999', // past the last instant a Date holds
      '',
    ]) {
      expect(parseTimeParam(text), text).toBeNull();
    }
  });
});

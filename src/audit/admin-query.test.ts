import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { MAX_ADMIN_LIMIT, parseAdminQuery, queryAuditOffThread } from './admin-query.js';
import { appendDirect, openAuditDb } from './direct.js';
import { queryAuditOffThread as fromIndex } from './index.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
beforeEach(() => {
  t = tempAuditDir();
  const db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 8 }, (_, i) => sampleEvent(i + 1)));
  db.close();
});
afterEach(() => t.cleanup());

const seqs = (records: Array<{ seq: number }>) => records.map((r) => r.seq);
const invalid = async (q: Record<string, unknown>) => {
  const err = await queryAuditOffThread(t.dbPath, q).then(() => null, (e: unknown) => e);
  expect(err, JSON.stringify(q)).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('INVALID_PARAMS');
  return (err as GatewayError).message;
};

describe('queryAuditOffThread (GET /admin/audit)', () => {
  it('is exported from the audit package index', () => {
    expect(fromIndex).toBe(queryAuditOffThread);
  });

  it('returns the newest records first by default, and ascending when paging with afterSeq', async () => {
    expect(seqs(await queryAuditOffThread(t.dbPath, { limit: '3' }))).toEqual([8, 7, 6]);
    expect(seqs(await queryAuditOffThread(t.dbPath, { agent: 'agent-b', afterSeq: '2', limit: '2' }))).toEqual([3, 5]);
    expect(seqs(await queryAuditOffThread(t.dbPath, { afterSeq: '0', limit: '2' }))).toEqual([1, 2]);
    expect(seqs(await queryAuditOffThread(t.dbPath, { beforeSeq: '6', limit: '2' }))).toEqual([5, 4]);
  });

  it('applies filters and time bounds from query-string values', async () => {
    expect(seqs(await queryAuditOffThread(t.dbPath, { traceId: 'trace-0', since: '1700000004000' }))).toEqual([6]);
    expect(seqs(await queryAuditOffThread(t.dbPath, { until: new Date(1_700_000_003_000).toISOString() }))).toEqual([2, 1]);
    expect(seqs(await queryAuditOffThread(t.dbPath, { channel: 'mcp', decision: 'allow', trace_id: 'trace-1' }))).toEqual([7, 4, 1]);
  });

  it('rejects unknown parameters, unknown channels and decisions, bad times and bad integers with INVALID_PARAMS', async () => {
    expect(await invalid({ agnet: 'a' })).toMatch(/agnet: unknown parameter/);
    expect(await invalid({ channel: 'smtp' })).toMatch(/channel: expected one of mcp, openapi/);
    expect(await invalid({ decision: 'maybe' })).toMatch(/decision: expected one of allow, deny, error/);
    expect(await invalid({ since: 'someday' })).toMatch(/since/);
    for (const q of [{ limit: 'lots' }, { limit: '0' }, { limit: '-1' }, { afterSeq: '1.5' }, { agent: ['a', 'b'] }, { traceId: 'a', trace_id: 'b' }]) {
      await invalid(q);
    }
  });

  it('refuses times that are not strict ISO 8601 or epoch ms (free text, no zone, not in the calendar) with INVALID_PARAMS', async () => {
    for (const since of ['1 2', '2024-01-01T00:00:00', '2030-02-31', '2024-01-01 00:00:00Z']) {
      expect(await invalid({ since })).toMatch(/since: expected ISO 8601 with Z or a ±hh:mm offset/);
    }
    expect(await invalid({ until: '2024-01-01T25:00:00Z' })).toMatch(/until/);
    // A date alone is midnight UTC.
    expect(parseAdminQuery({ since: '2024-05-01', until: '2024-05-02T00:00:00+02:00' })).toMatchObject({ since: Date.UTC(2024, 4, 1), until: Date.UTC(2024, 4, 1, 22) });
  });

  it('caps the admin limit at 1000 and defaults to 100', async () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, Array.from({ length: 1100 }, (_, i) => sampleEvent(100 + i)));
    db.close();
    expect(MAX_ADMIN_LIMIT).toBe(1000);
    expect(await queryAuditOffThread(t.dbPath, {})).toHaveLength(100);
    expect(await queryAuditOffThread(t.dbPath, { limit: '1000' })).toHaveLength(1000);
    expect(await invalid({ limit: '1001' })).toMatch(/1\.\.1000/);
  });

  it('validates on the calling thread: a bad query fails even when the database does not exist', async () => {
    await expect(queryAuditOffThread(join(t.dir, 'missing.db'), { channel: 'nope' })).rejects.toMatchObject({ code: 'INVALID_PARAMS' });
    expect(() => parseAdminQuery({ channel: 'nope' })).toThrow(GatewayError);
  });

  it('reports a database it cannot read as INTERNAL, without leaking the path to the client message', async () => {
    const err = await queryAuditOffThread(join(t.dir, 'missing.db'), {}).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('INTERNAL');
    expect((err as GatewayError).message).not.toContain(t.dir);
  });

  it('runs concurrent queries (more than run at once) to completion', async () => {
    const all = await Promise.all(Array.from({ length: 6 }, (_, i) => queryAuditOffThread(t.dbPath, { afterSeq: String(i), limit: '1' })));
    expect(all.map(seqs)).toEqual([[1], [2], [3], [4], [5], [6]]);
  });
});

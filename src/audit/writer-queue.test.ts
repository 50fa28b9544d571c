import { describe, expect, it } from 'vitest';
import { contentHalves, safeRow } from './chain.js';
import { WriterQueue } from './writer-queue.js';
import { sampleEvent } from './test-fixtures.js';

const reason = () => 'not committed in time';

describe('WriterQueue', () => {
  it('keeps a failed group at the head, in order, until shift', () => {
    const q = new WriterQueue();
    q.pushRows([1, 2, 3], [sampleEvent(1), sampleEvent(2), sampleEvent(3)].map(safeRow), Infinity);
    expect(q.peek(2, 0, reason).ids).toEqual([1, 2]);
    expect(q.peek(2, 0, reason).ids).toEqual([1, 2]); // a retry sees the same group
    q.shift(2);
    expect(q.peek(10, 0, reason).ids).toEqual([3]);
    expect(q.producerCount).toBe(1);
  });

  it('amends a queued record in place to 503 and keeps the original outcome in details', () => {
    const q = new WriterQueue();
    q.pushRows([7], [sampleEvent(7)].map(safeRow), Infinity);
    expect(q.amend(7, 'audit down')).toBe(true);
    const g = q.peek(1, 0, reason);
    expect(g.amended).toEqual([7]);
    expect(g.rows[0]).toMatchObject({ status: 503, decision: 'error', code: 'AUDIT_UNAVAILABLE', reason: 'audit down' });
    expect(JSON.parse(g.rows[0]?.details ?? '{}')).toEqual({ i: 7, auditAmended: { decision: 'allow', status: 200, code: null, reason: null } });
    q.shift(1);
    expect(q.amend(7, 'late')).toBe(false); // committed: the caller writes a correction instead
  });

  it('hands out the content halves sent with each row, and none for a row it amended', () => {
    const q = new WriterQueue();
    const rows = [sampleEvent(1), sampleEvent(2), sampleEvent(3)].map(safeRow);
    q.pushRows([1, 2, 3], rows, Infinity, rows.map(contentHalves));
    q.pushSystem(sampleEvent(4));
    q.amend(2, 'late');
    const g = q.peek(10, 0, reason);
    expect(g.halves).toEqual([contentHalves(rows[0]!), null, contentHalves(rows[2]!), null]);
  });

  it('amends records past their deadline when handing out a group', () => {
    const q = new WriterQueue();
    q.pushRows([1], [sampleEvent(1)].map(safeRow), 1000);
    q.pushRows([2], [sampleEvent(2)].map(safeRow), 5000);
    const g = q.peek(10, 2000, reason);
    expect(g.amended).toEqual([1]);
    expect(g.rows.map((r) => r.status)).toEqual([503, 200]);
  });

  it('merges consecutive refusals into one audit.gap record', () => {
    const q = new WriterQueue();
    q.pushGap(3, 10);
    q.pushGap(2, 20);
    q.pushRows([1], [sampleEvent(1)].map(safeRow), Infinity);
    q.pushGap(1, 30);
    const g = q.peek(10, 0, reason);
    expect(g.ids).toEqual([0, 1, 0]);
    expect(g.rows[0]).toMatchObject({ action: 'audit.gap', channel: 'system' });
    expect(JSON.parse(g.rows[0]?.details ?? '{}')).toEqual({ refused: 5, firstRefusedAt: 10, lastRefusedAt: 20 });
    expect(JSON.parse(g.rows[2]?.details ?? '{}')).toMatchObject({ refused: 1 });
  });

  it('survives compaction with amendments still addressed correctly', () => {
    const q = new WriterQueue();
    const n = 10_000;
    q.pushRows(Array.from({ length: n }, (_, i) => i + 1), Array.from({ length: n }, (_, i) => sampleEvent(i)).map(safeRow), Infinity);
    q.shift(6000); // compacts
    expect(q.amend(9000, 'x')).toBe(true);
    const g = q.peek(n, 0, reason);
    expect(g.ids[0]).toBe(6001);
    expect(g.rows[9000 - 6001]).toMatchObject({ requestId: 'req-8999', status: 503 });
  });
});

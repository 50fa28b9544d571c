import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { appendDirect, appendRows } from './append.js';
import { MAX_JSON_FIELD_CHARS, contentHalves, contentString, hashRow, safeRow, toRow } from './chain.js';
import { openAuditDb, type AuditDb } from './db.js';
import type { AuditEventInput } from './record.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';
import { halvesFromValues, rowFromValues, rowValues } from './row-values.js';
import { verifyChain } from './verify.js';
import { WriterQueue, amendRow } from './writer-queue.js';

// Events chosen to reach every branch of the stored encoding: nulls vs absent, escapes,
// non-BMP and lone surrogates, -0 and exponent numbers, non-finite numbers, unsorted and
// nested keys, toJSON, bigint, cycles, oversized JSON fields, non-string scalar fields.
function pinnedEvents(): AuditEventInput[] {
  const cyclic: Record<string, unknown> = { b: 1 };
  cyclic.self = cyclic;
  const big = 'y'.repeat(MAX_JSON_FIELD_CHARS);
  return [
    sampleEvent(1),
    sampleEvent(2, { traceId: null, agentId: undefined, details: null, path: null, redactions: null }),
    { time: 1_700_000_000_123, requestId: 'min', channel: 'system', action: 'audit.start', decision: 'allow' },
    sampleEvent(3, {
      reason: 'quote " backslash \\ newline \n tab \t nul \u0000 del \u007f',
      target: 'emoji 😀 é ü 中文',
      code: 'lone \ud800 high and \udc00 low',
      details: { z: [1, -0, 1e21, 1.5e-7, Number.NaN, Infinity, null, undefined], a: { y: 'x"y', b: true, c: false }, é: 1, E: 2, '': 3 },
    }),
    sampleEvent(4, { status: -0, latencyMs: Number.NaN, tokensIn: 12, tokensOut: Infinity, costUsd: 0.000123, requestBytes: 2 ** 53, responseBytes: 0 }),
    sampleEvent(5, { details: { when: new Date(0), n: 10n as unknown as number, cyclic } }),
    sampleEvent(6, { details: { huge: big }, path: [{ policy: big, decision: 'allow', ms: 1 }] }),
    sampleEvent(7, { redactions: { [big]: 1 } as Record<string, number>, details: 'scalar' as unknown as Record<string, unknown> }),
    sampleEvent(8, { requestId: 42 as unknown as string, decision: undefined as unknown as 'allow', target: 17 as unknown as string }),
  ];
}

/** Digest of every stored column of every row, in seq order. */
function storedDigest(db: AuditDb): string {
  const rows = db.prepare('SELECT * FROM audit_events ORDER BY seq').all();
  return createHash('sha256').update(JSON.stringify(rows)).digest('hex');
}

describe('stored audit encoding (pinned)', () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  it('hashes a fixed set of records to the digests the format was released with', () => {
    const events = pinnedEvents();
    const rows = events.map(toRow);
    const hashes: string[] = [];
    let prev = '0'.repeat(64);
    rows.forEach((r, i) => {
      prev = hashRow(prev, i + 1, r);
      hashes.push(prev);
    });
    expect(createHash('sha256').update(rows.map((r, i) => contentString(i + 1, r)).join('\n')).digest('hex')).toBe(PINNED_CONTENT);
    expect(hashes).toEqual(PINNED_HASHES);
  });

  it('stores the same column values and chain as the released format', () => {
    const t = tempAuditDir();
    cleanup = t.cleanup;
    const db = openAuditDb(t.dbPath);
    const events = pinnedEvents();
    appendDirect(db, events.slice(0, 3));
    appendDirect(db, events.slice(3));
    // The writer thread's path: normalized and sent as values (sink-outbox.ts), queued, amended to 503 (one by id, all by deadline 0), committed as one group.
    const q = new WriterQueue();
    const sent = [sampleEvent(10), sampleEvent(11, { details: { keep: [1, 2] } }), sampleEvent(12, { details: null })].map((e) => {
      const row = safeRow(e);
      return structuredClone(rowValues(row, contentHalves(row)));
    });
    q.pushRows([1, 2, 3], sent.map(rowFromValues), 0, sent.map(halvesFromValues));
    q.amend(2, 'audit record not committed in time');
    const group = q.peek(10, 0, () => 'late');
    expect(group.halves).toEqual([null, null, null]); // all amended (deadline 0): the writer remakes their halves
    const { firstSeq, head } = appendRows(db, group.rows, undefined, group.halves);
    expect(firstSeq).toBe(events.length + 1);
    expect(head.hash).toBe(PINNED_GROUP_HEAD);
    expect(amendRow(toRow(sampleEvent(13)), 'r').details).toBe('{"auditAmended":{"code":null,"decision":"allow","reason":null,"status":200},"i":13}');
    expect(storedDigest(db)).toBe(PINNED_STORED);
    expect(verifyChain(db).ok).toBe(true);
    db.close();
  });

  it('chains a group the same with the content halves sent from the gateway as with halves the writer makes', () => {
    const t = tempAuditDir();
    cleanup = t.cleanup;
    const heads = [true, false].map((sendHalves, k) => {
      const db = openAuditDb(join(t.dir, `group-${k}.db`));
      const q = new WriterQueue();
      const sent = [sampleEvent(10), sampleEvent(11, { details: { keep: [1, 2], q: 'a "quoted" \\ value' } }), sampleEvent(12, { details: null })].map((e) => {
        const row = safeRow(e);
        return structuredClone(rowValues(row, contentHalves(row)));
      });
      q.pushRows([1, 2, 3], sent.map(rowFromValues), Infinity, sendHalves ? sent.map(halvesFromValues) : undefined);
      q.amend(2, 'audit record not committed in time');
      const group = q.peek(10, 0, () => 'late');
      expect(group.halves.map((h) => h !== null)).toEqual([sendHalves, false, sendHalves]);
      const { head } = appendRows(db, group.rows, undefined, group.halves);
      expect(verifyChain(db).ok).toBe(true);
      db.close();
      return head.hash;
    });
    expect(heads[0]).toBe(heads[1]);
  });
});

// Computed with the code the format was released with: any change here breaks existing trails.
const PINNED_CONTENT = '832a58624693a239296f182644a81026c9f93db9a631f8c29731232a82144f44';
const PINNED_HASHES = [
  '8b745566254fafd3902a53869c6327a06d19a928337a94afef8abe40db0da80a',
  'a75f1eb34c91db4da07d1f424b35f446650bb057f1ce05bf877eb0aaec841dcc',
  'df72ffb1ce413e6ffa86014578db2db8c2bf37e47374ed7833e716aa91c16fd8',
  '4d0ed329c7eb81cfb1221cc2230fc343566625a714b1715e33cda4c69aa2f3cd',
  'aa4d8df34e573c7121c3a6903afac9bbcf4143b38db4eae82e1a0b81286d1e19',
  'b84360b88fbb5bf9252b731ff0428c16e4c55a8a036e911eb7784c19478f0cb3',
  '080ef89f770df34b36fea79c08804894a6d9c3fe25f26a328fdfd50adbb3bd0d',
  '40311272be3595bb21266b9420a4e6b62c171abf23d27d576b794c0a82b9b96b',
  '704eb38a0b5ab3b7da04de604e4ad5df8239321534de1e0033918c4c00b385aa',
];
const PINNED_STORED = '8f05ef9e55b67fb1200c62e4e1e18ce396ab10dc0958c3487d9e32d39df4d230';
const PINNED_GROUP_HEAD = 'b8fac7708811e69068cafaf43c2cfbc9f14b47cb71cce364de2a053c427f1860';

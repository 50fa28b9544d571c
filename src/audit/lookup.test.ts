import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, openAuditDb, pruneBefore, queryAudit, verifyChain, type AuditDb, type AuditQuery } from './direct.js';
import { appendRows } from './append.js';
import { toRow } from './chain.js';
import { FILL_SQL, fillLookup, lookupMismatch, lookupThrough, rebuildLookup } from './lookup.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { querySql } from './query.js';
import type { AuditRecord } from './record.js';
import { createAuditSink, type WorkerAuditSink } from './sink.js';
import { sampleEvent, tamper, tempAuditDir, until } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let db: AuditDb;
let sink: WorkerAuditSink | null = null;
beforeEach(() => {
  t = tempAuditDir();
  db = openAuditDb(t.dbPath);
});
afterEach(async () => {
  await sink?.close({ deadlineMs: 1000 });
  sink = null;
  db.close();
  t.cleanup();
});


/** What a query must return, computed in JS over every record. */
function expected(all: AuditRecord[], q: AuditQuery): number[] {
  const hit = all.filter(
    (r) =>
      (q.agent === undefined || r.agentId === q.agent) &&
      (q.target === undefined || r.target === q.target) &&
      (q.traceId === undefined || r.traceId === q.traceId) &&
      (q.channel === undefined || r.channel === q.channel) &&
      (q.decision === undefined || r.decision === q.decision) &&
      (q.since === undefined || r.time >= q.since) &&
      (q.until === undefined || r.time < q.until) &&
      (q.afterSeq === undefined || r.seq > q.afterSeq) &&
      (q.beforeSeq === undefined || r.seq < q.beforeSeq),
  );
  const seqs = hit.map((r) => r.seq).sort((a, b) => a - b);
  if (q.order === 'newest') seqs.reverse();
  return seqs.slice(0, q.limit ?? 100);
}

const events = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, k) => {
    const i = from + k;
    return sampleEvent(i, { decision: i % 5 === 0 ? 'deny' : 'allow', channel: i % 7 === 0 ? 'llm' : 'mcp' });
  });

describe('the query lookup', () => {
  it('queries return the same records whether the lookup covers none, some or all of them, in one seq-ordered page', () => {
    appendDirect(db, events(1, 60)); // direct appends leave the lookup to the gateway's writer
    const all = queryAudit(db, { limit: 1000 });
    expect(all).toHaveLength(60);
    const queries: AuditQuery[] = [];
    for (const order of ['newest', 'oldest'] as const) {
      for (const limit of [1, 4, 11, 100]) {
        queries.push(
          { agent: 'agent-a', order, limit },
          { target: 'tool-3', order, limit },
          { traceId: 'trace-1', order, limit },
          { since: 1_700_000_020_000, until: 1_700_000_045_000, order, limit },
          { agent: 'agent-b', decision: 'deny', order, limit },
          { target: 'tool-1', channel: 'llm', order, limit },
          { agent: 'agent-a', afterSeq: 25, order, limit },
          { agent: 'agent-a', beforeSeq: 35, order, limit },
          { channel: 'llm', order, limit },
          { order, limit },
        );
      }
    }
    for (const covered of [0, 1, 23, 59, 60]) {
      tamper(db, 'DELETE FROM audit_lookup'); // emptied to be filled again to `covered`
      if (covered > 0) expect(fillLookup(db, covered)).toBe(covered);
      expect(lookupThrough(db)).toBe(covered);
      for (const q of queries) expect(queryAudit(db, q).map((r) => r.seq), `${JSON.stringify(q)} covered ${covered}`).toEqual(expected(all, q));
    }
  });

  it('an agent, target or trace query reads the lookup by its index and the records by seq, never scanning the trail', () => {
    appendDirect(db, events(1, 20));
    fillLookup(db);
    const plan = (q: AuditQuery) => {
      const { indexed } = querySql(q, lookupThrough(db));
      return (db.prepare(`EXPLAIN QUERY PLAN ${indexed!.sql} LIMIT 10`).all(...indexed!.params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
    };
    expect(plan({ agent: 'agent-a', order: 'newest' })).toMatch(/SEARCH k USING (COVERING )?INDEX audit_lookup_agent/);
    expect(plan({ target: 'tool-1', channel: 'llm' })).toMatch(/SEARCH k USING (COVERING )?INDEX audit_lookup_target/);
    expect(plan({ traceId: 'trace-2', order: 'newest' })).toMatch(/SEARCH k USING (COVERING )?INDEX audit_lookup_trace/);
    // In seq order straight from the index (it ends in seq): LIMIT stops early, no sort of every match.
    for (const q of [{ agent: 'agent-a', order: 'newest' as const }, { target: 'tool-1' }, { traceId: 'trace-2', order: 'newest' as const }]) {
      expect(plan(q)).not.toMatch(/TEMP B-TREE/);
    }
    for (const q of [{ agent: 'agent-a' }, { target: 'tool-1' }, { traceId: 'trace-2' }, { since: 1, until: 2 }]) {
      const p = plan(q);
      expect(p).toMatch(/SEARCH e USING INTEGER PRIMARY KEY/);
      expect(p).not.toMatch(/SCAN e\b/);
    }
  });

  it('fills in seq order, a batch at a time, and says when it caught up', () => {
    appendDirect(db, events(1, 10));
    expect(fillLookup(db, 4)).toBe(4);
    expect(lookupThrough(db)).toBe(4);
    expect(fillLookup(db, 4)).toBe(4);
    expect(fillLookup(db, 4)).toBe(2);
    expect(fillLookup(db, 4)).toBe(0);
    const rows = db.prepare('SELECT seq, agent_id, target, time, trace_id FROM audit_lookup ORDER BY seq').all();
    expect(rows).toEqual(db.prepare('SELECT seq, agent_id, target, time, trace_id FROM audit_events ORDER BY seq').all());
    // Straight from the records into the lookup, with no temporary copy in between.
    const ops = (db.prepare(`EXPLAIN ${FILL_SQL}`).all(0, 10) as Array<{ opcode: string }>).map((o) => o.opcode);
    expect(ops).toContain('Insert');
    expect(ops).not.toContain('OpenEphemeral');
    const withSubquery = FILL_SQL.replace('WHERE seq > ?', 'WHERE seq > (SELECT COALESCE(MAX(seq), 0) FROM audit_lookup) AND ? IS NOT NULL');
    expect((db.prepare(`EXPLAIN ${withSubquery}`).all(0, 10) as Array<{ opcode: string }>).map((o) => o.opcode)).toContain('OpenEphemeral');
  });

  it('a prune removes the entries of the records it removes; otherwise the lookup refuses updates and deletes', () => {
    appendDirect(db, events(1, 10));
    fillLookup(db, 6);
    expect(() => db.prepare("UPDATE audit_lookup SET agent_id = 'x' WHERE seq = 1").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_lookup WHERE seq = 1').run()).toThrow(/append-only/);
    const r = pruneBefore(db, 1_700_000_000_000 + 4_500, { minRetentionMs: 0 });
    expect(r.deleted).toBe(4);
    expect(db.prepare('SELECT seq FROM audit_lookup ORDER BY seq').pluck().all()).toEqual([5, 6]);
    fillLookup(db);
    expect(lookupThrough(db)).toBe(11); // the audit.pruned record too
    expect(verifyChain(db)).toMatchObject({ ok: true });
    expect(queryAudit(db, { agent: 'agent-a', order: 'oldest' }).map((x) => x.seq)).toEqual([6, 8, 10]);
    // A prune past the lookup's end leaves it empty, and every remaining record in the tail.
    const db2 = openAuditDb(`${t.dir}/two.db`);
    appendDirect(db2, events(1, 10));
    fillLookup(db2, 2);
    pruneBefore(db2, 1_700_000_000_000 + 5_500, { minRetentionMs: 0 });
    expect(lookupThrough(db2)).toBe(0);
    expect(queryAudit(db2, { agent: 'agent-b', order: 'oldest' }).map((x) => x.seq)).toEqual([7, 9]);
    expect(verifyChain(db2)).toMatchObject({ ok: true });
    db2.close();
  });

  it('verify fails on a lookup entry removed, altered or invented (filtered queries would hide or misplace records), and accepts a lookup that lags', () => {
    appendDirect(db, events(1, 10));
    fillLookup(db, 7);
    expect(verifyChain(db)).toMatchObject({ ok: true, checked: 10 }); // 8 to 10 are the tail: fine
    const copy = (name: string) => {
      const path = `${t.dir}/${name}.db`;
      db.prepare('VACUUM INTO ?').run(path);
      return openAuditDb(path);
    };
    const removed = copy('removed');
    tamper(removed, 'DELETE FROM audit_lookup WHERE seq = 3');
    expect(verifyChain(removed)).toMatchObject({ ok: false, firstBad: { seq: 3, reason: expect.stringMatching(/no entry in the query lookup/) } });
    expect(queryAudit(removed, { agent: 'agent-b', order: 'oldest' }).map((x) => x.seq)).toEqual([1, 5, 7, 9]); // what it hid
    removed.close();
    const altered = copy('altered');
    tamper(altered, "UPDATE audit_lookup SET agent_id = 'agent-z' WHERE seq = 4");
    expect(verifyChain(altered)).toMatchObject({ ok: false, firstBad: { seq: 4, reason: expect.stringMatching(/does not match the record/) } });
    altered.close();
    const invented = copy('invented');
    tamper(invented, "INSERT INTO audit_lookup (seq, agent_id, target, time, trace_id) VALUES (99, 'agent-a', 't', 1, null)");
    // Its seq makes the lookup's end 99: records 8 to 10 now look covered, and have no entry.
    expect(verifyChain(invented)).toMatchObject({ ok: false, firstBad: { seq: 8, reason: expect.stringMatching(/no entry/) } });
    invented.close();
  });

  it('an entry whose value was turned into a BLOB is reported even when its record was changed the same way (IS NOT would find them equal)', () => {
    appendDirect(db, events(1, 6));
    fillLookup(db);
    for (const [column, cast] of [['agent_id', 'CAST(agent_id AS BLOB)'], ['time', 'CAST(CAST(time AS TEXT) AS BLOB)']] as const) {
      const copy = `${t.dir}/${column}.db`;
      db.prepare('VACUUM INTO ?').run(copy);
      const c = openAuditDb(copy);
      tamper(c, `UPDATE audit_events SET ${column} = ${cast} WHERE seq = 3`);
      tamper(c, `UPDATE audit_lookup SET ${column} = ${cast} WHERE seq = 3`);
      expect(lookupMismatch(c, 0), column).toEqual({ seq: 3, reason: expect.stringContaining("the query lookup's entry for seq 3 holds a value of the wrong storage type") });
      c.close();
    }
  });

  it('verify ignores entries an older prune left at or below the anchor; reindex rebuilds an altered lookup', () => {
    appendDirect(db, events(1, 10));
    fillLookup(db);
    // An older Warden's prune removed records 1 to 4 but not their entries (it knew no lookup).
    tamper(db, 'UPDATE audit_maintenance SET pruning = 1 WHERE id = 1');
    const stale = db.prepare('SELECT * FROM audit_lookup WHERE seq <= 4').all() as Array<Record<string, unknown>>;
    pruneBefore(db, 1_700_000_000_000 + 4_500, { minRetentionMs: 0 });
    const put = db.prepare('INSERT INTO audit_lookup (seq, agent_id, target, time, trace_id) VALUES (@seq, @agent_id, @target, @time, @trace_id)');
    for (const row of stale) put.run(row);
    expect(verifyChain(db)).toMatchObject({ ok: true });
    expect(queryAudit(db, { agent: 'agent-a', order: 'oldest' }).map((x) => x.seq)).toEqual([6, 8, 10]);
    // Altered above the anchor: verify says so, and a rebuild makes the lookup match again.
    tamper(db, "UPDATE audit_lookup SET target = 'elsewhere' WHERE seq = 7");
    expect(verifyChain(db)).toMatchObject({ ok: false, lookupAltered: true, firstBad: { seq: 7 } });
    expect(rebuildLookup(db)).toEqual({ removed: 10, indexed: 7 }); // 4 stale and 5 to 10 out; 5 to 11 (the prune's record) in
    expect(verifyChain(db)).toMatchObject({ ok: true });
    expect(queryAudit(db, { target: 'tool-3', order: 'oldest' }).map((x) => x.seq)).toEqual([7]);
  });

  it('a database at schema version 1 opened read-only (not migrated) is still queried and verified, by its own indexes', () => {
    const path = `${t.dir}/v1-readonly.db`;
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, 1));
    appendRows(old, events(1, 12).map(toRow));
    old.close();
    const ro = openAuditDb(path, { readonly: true });
    const all = queryAudit(ro, { limit: 100 });
    expect(all).toHaveLength(12);
    for (const q of [{ agent: 'agent-a' }, { traceId: 'trace-2', order: 'oldest' as const }, { since: 1_700_000_005_000 }] as AuditQuery[]) {
      expect(queryAudit(ro, q).map((x) => x.seq)).toEqual(expected(all, q));
    }
    expect(verifyChain(ro)).toMatchObject({ ok: true, checked: 12, notes: [expect.stringMatching(/query lookup is not there yet/)] });
    ro.close();
  });

  it('the migration to version 2 moves the four indexes into the lookup and indexes the records already there', () => {
    const path = `${t.dir}/v1.db`;
    const old = new Database(path);
    old.pragma('journal_mode = WAL');
    migrate(old, MIGRATIONS.slice(0, 1));
    appendRows(old, events(1, 25).map(toRow));
    expect(old.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name LIKE 'audit_events_%' AND type = 'index'").pluck().get()).toBe(4);
    old.close();
    const v2 = openAuditDb(path);
    expect(v2.prepare("SELECT COUNT(*) FROM sqlite_master WHERE tbl_name = 'audit_events' AND type = 'index'").pluck().get()).toBe(0);
    expect(lookupThrough(v2)).toBe(25);
    expect(verifyChain(v2)).toMatchObject({ ok: true, checked: 25 });
    const all = queryAudit(v2, { limit: 100 });
    expect(queryAudit(v2, { traceId: 'trace-0', order: 'oldest' }).map((x) => x.seq)).toEqual(expected(all, { traceId: 'trace-0', order: 'oldest' }));
    v2.close();
  });

  it("the gateway's writer fills the lookup after its commits, and on start catches up records appended while it was away", async () => {
    appendDirect(db, events(1, 1500)); // a CLI, or a gateway that stopped before filling
    expect(lookupThrough(db)).toBe(0);
    sink = await createAuditSink({ dbPath: t.dbPath });
    await until(() => lookupThrough(db) === 1500);
    // A few commits (fewer than a batch): filled once the writer is idle.
    for (let i = 0; i < 3; i++) await sink.append(sampleEvent(2000 + i));
    await until(() => lookupThrough(db) === 1503);
    // A burst of more than a batch.
    await Promise.all(Array.from({ length: 1200 }, (_, i) => sink!.append(sampleEvent(3000 + i))));
    await until(() => lookupThrough(db) === 2703);
    expect(verifyChain(db)).toMatchObject({ ok: true, checked: 2703 });
    // While another connection holds the write lock, a fill does not wait for it (commits would
    // queue behind), and is tried again once the lock is gone, with no further commit.
    await sink.append(sampleEvent(4000));
    const holder = new Database(t.dbPath);
    holder.exec('BEGIN IMMEDIATE');
    await new Promise((r) => setTimeout(r, 500)); // past LOOKUP_IDLE_MS: the fill ran and gave up
    expect(lookupThrough(db)).toBe(2703);
    holder.exec('COMMIT');
    holder.close();
    await until(() => lookupThrough(db) === 2704);
    // Closing fills what is left.
    await sink.append(sampleEvent(5000));
    await sink.close({ deadlineMs: 1000 });
    sink = null;
    expect(lookupThrough(db)).toBe(2705);
  });
});

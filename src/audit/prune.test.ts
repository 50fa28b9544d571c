import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, openAuditDb, pruneBefore, queryAudit, verifyChain, writeCheckpoint, type AuditDb } from './direct.js';
import { sampleEvent, tamper, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let db: AuditDb;
beforeEach(() => {
  t = tempAuditDir();
  db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 10 }, (_, i) => sampleEvent(i + 1))); // times base+1s .. base+10s
  writeCheckpoint(db);
});
afterEach(() => {
  db.close();
  t.cleanup();
});

const base = 1_700_000_000_000;

describe('pruneBefore', () => {
  it('removes the old prefix, keeps the rest verifiable and writes an audit.pruned record', () => {
    const r = pruneBefore(db, base + 4500); // records 1..4 are older
    expect(r.deleted).toBe(4);
    expect(r.anchor?.seq).toBe(4);
    expect(r.recordSeq).toBe(11);
    expect(db.prepare('SELECT MIN(seq) FROM audit_events').pluck().get()).toBe(5);
    const v = verifyChain(db);
    expect(v).toMatchObject({ ok: true, checked: 7, lastSeq: 11, anchor: { seq: 4 } });
    const [pruned] = queryAudit(db, { channel: 'system' });
    expect(pruned).toMatchObject({ action: 'audit.pruned', details: { deleted: 4, throughSeq: 4, anchorHash: r.anchor?.hash } });
  });

  it('keeps working after a second prune and when everything is pruned', () => {
    pruneBefore(db, base + 3500);
    pruneBefore(db, Date.now() + 1000);
    const v = verifyChain(db);
    expect(v.ok).toBe(true);
    expect(v.checked).toBe(1); // only the latest audit.pruned record remains
    appendDirect(db, [sampleEvent(99, { time: Date.now() })]);
    expect(verifyChain(db)).toMatchObject({ ok: true, checked: 2 });
  });

  it('records a no-op prune too', () => {
    const r = pruneBefore(db, base);
    expect(r).toMatchObject({ deleted: 0, anchor: null, recordSeq: 11 });
    expect(verifyChain(db).ok).toBe(true);
  });

  it('detects a forged anchor that hides deleted history', () => {
    tamper(db, 'DELETE FROM audit_events WHERE seq <= 3');
    const hash = db.prepare('SELECT hash FROM audit_events WHERE seq = 3').pluck().get();
    expect(hash).toBeUndefined();
    const h3 = db.prepare('SELECT prev_hash FROM audit_events WHERE seq = 4').pluck().get() as string;
    db.prepare('INSERT INTO audit_anchor (id, seq, hash, time) VALUES (1, 3, ?, 0)').run(h3);
    expect(verifyChain(db).firstBad?.reason).toContain('not attested');
  });
});

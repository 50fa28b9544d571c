import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, latestCheckpoint, openAuditDb, pruneBefore, PruneRefusedError, queryAudit, verifyChain, writeCheckpoint, DEFAULT_MIN_RETENTION_MS, type AuditDb } from './direct.js';
import { loadSigningKey, signCheckpoint } from './checkpoint.js';
import { ed25519Pems, sampleEvent, tamper, tempAuditDir } from './test-fixtures.js';

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
    const r = pruneBefore(db, base + 4500, { minRetentionMs: 0 }); // records 1..4 are older
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
    pruneBefore(db, base + 3500, { minRetentionMs: 0 });
    pruneBefore(db, Date.now() + 1000, { minRetentionMs: 0 });
    const v = verifyChain(db);
    expect(v.ok).toBe(true);
    expect(v.checked).toBe(1); // only the latest audit.pruned record remains
    appendDirect(db, [sampleEvent(99, { time: Date.now() })]);
    expect(verifyChain(db)).toMatchObject({ ok: true, checked: 2 });
  });

  it('never removes a record newer than the cut-off when record times are not ordered by seq', () => {
    const DAY = 86_400_000;
    const now = base + 1000 * DAY;
    const ev = (id: string, time: number) => ({ time, requestId: id, channel: 'mcp' as const, action: 'a', decision: 'allow' as const });
    const before = queryAudit(db, { afterSeq: 0 }).length;
    appendDirect(db, [ev('old', now - 100 * DAY), ev('fresh-1', now - DAY), ev('skewed-clock', now - 365 * DAY), ev('fresh-2', now)]);
    const r = pruneBefore(db, now - 90 * DAY, { now }); // default 30-day floor
    expect(r.anchor?.seq).toBe(before + 1); // through 'old': stops before 'fresh-1'
    const left = queryAudit(db, { afterSeq: 0 }).map((x) => x.requestId);
    expect(left).toEqual(expect.arrayContaining(['fresh-1', 'skewed-clock', 'fresh-2']));
    expect(left).not.toContain('old');
    expect(verifyChain(db).ok).toBe(true);
  });

  it('records a no-op prune too', () => {
    const r = pruneBefore(db, base);
    expect(r).toMatchObject({ deleted: 0, anchor: null, recordSeq: 11, attestation: null });
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

  it('refuses to cut into the retention floor (30 days by default) and names it', () => {
    const now = Date.now();
    expect(() => pruneBefore(db, now - DEFAULT_MIN_RETENTION_MS + 60_000)).toThrow(PruneRefusedError);
    expect(() => pruneBefore(db, now - 1000, { minRetentionMs: 60_000 })).toThrow(/retention floor/);
    expect(db.prepare('SELECT COUNT(*) FROM audit_events').pluck().get()).toBe(10); // nothing removed, nothing recorded
    expect(pruneBefore(db, now - 1000, { minRetentionMs: 0 }).deleted).toBe(10);
  });

  it('signs the prune attestation, and verify with the key accepts only an anchor attested by a valid signature', () => {
    const keys = ed25519Pems();
    const signer = loadSigningKey(keys.privatePem);
    const r = pruneBefore(db, base + 4500, { minRetentionMs: 0, signer });
    writeCheckpoint(db, { signer }); // the stored checkpoints are signed too, as with a configured key
    expect(r.attestation).toMatchObject({ keyId: expect.stringMatching(/^ed25519:/), signature: expect.any(String) });
    const [pruned] = queryAudit(db, { channel: 'system' });
    expect(pruned?.details).toMatchObject({ attestation: r.attestation });
    expect(verifyChain(db, { publicKeyPem: keys.publicPem })).toMatchObject({ ok: true, anchorSigned: true });
    expect(verifyChain(db, { publicKeyPem: ed25519Pems().publicPem }).ok).toBe(false);
  });

  it('an unsigned prune fails verify --public-key even though the chain is intact', () => {
    const keys = ed25519Pems();
    pruneBefore(db, base + 4500, { minRetentionMs: 0 });
    expect(verifyChain(db).ok).toBe(true);
    expect(verifyChain(db, { publicKeyPem: keys.publicPem })).toMatchObject({
      ok: false,
      anchorSigned: false,
      firstBad: { seq: 5, reason: expect.stringContaining('prune anchor at seq 4 is not attested by a valid signature') },
    });
  });

  it('a signed checkpoint cannot be replayed as a prune attestation', () => {
    // An attacker who read a signed checkpoint of seq 4 wipes 1..4 and "attests" it with that signature.
    const keys = ed25519Pems();
    const signer = loadSigningKey(keys.privatePem);
    const h4 = db.prepare('SELECT hash FROM audit_events WHERE seq = 4').pluck().get() as string;
    const time = Date.now();
    const stolen = { time, keyId: signer.keyId, signature: signCheckpoint(4, h4, time, signer) };
    tamper(db, 'DELETE FROM audit_events WHERE seq <= 4');
    db.prepare('INSERT INTO audit_anchor (id, seq, hash, time) VALUES (1, 4, ?, 0)').run(h4);
    appendDirect(db, [{ ...sampleEvent(0), channel: 'system', action: 'audit.pruned', details: { throughSeq: 4, anchorHash: h4, attestation: stolen } }]);
    expect(verifyChain(db).ok).toBe(true); // internally consistent...
    expect(verifyChain(db, { publicKeyPem: keys.publicPem }).firstBad?.reason).toMatch(/not attested by a valid signature/); // ...but not signed as a prune
  });
});

describe('an external checkpoint at or below the prune anchor', () => {
  // The latest checkpoint, as one kept off-host would be.
  const exported = () => {
    writeCheckpoint(db, { headMarker: false });
    return latestCheckpoint(db)!;
  };

  it('is reported unverifiable (not "matches") when every record it covered was pruned', () => {
    appendDirect(db, [sampleEvent(11)]);
    const cp = exported(); // seq 11
    pruneBefore(db, Date.now(), { minRetentionMs: 0 }); // wipes everything
    const r = verifyChain(db, { checkpoint: cp });
    expect(r).toMatchObject({ ok: false, external: { seq: 11, status: 'pruned-unverifiable' } });
    expect(r.firstBad?.reason).toMatch(/^unverifiable: the checkpoint's seq 11 lies at or below the prune anchor \(seq 11\)/);
  });

  it('is accepted as covered when the anchor carries a valid signed prune attestation', () => {
    const keys = ed25519Pems();
    const signer = loadSigningKey(keys.privatePem);
    appendDirect(db, [sampleEvent(11)]);
    const cp = writeCheckpoint(db, { signer, headMarker: false })!.checkpoint;
    pruneBefore(db, Date.now(), { minRetentionMs: 0, signer });
    const r = verifyChain(db, { checkpoint: cp, publicKeyPem: keys.publicPem });
    expect(r).toMatchObject({ ok: true, anchorSigned: true, external: { seq: 11, status: 'pruned-attested' } });
    expect(r.notes.join('\n')).toMatch(/attested by a valid signature, which covers it/);
  });

  it('still fails as rewritten when its hash disagrees with the anchor at the same seq', () => {
    const cp = { ...exported(), hash: 'f'.repeat(64) };
    pruneBefore(db, Date.now(), { minRetentionMs: 0 });
    expect(verifyChain(db, { checkpoint: cp }).firstBad?.reason).toMatch(/prune anchor differs from the external checkpoint/);
  });

  it('is still compared normally when it lies above the anchor', () => {
    appendDirect(db, [sampleEvent(11, { time: Date.now() + 60_000 })]);
    const cp = exported(); // seq 11, newer than the prune point
    pruneBefore(db, base + 4500, { minRetentionMs: 0 });
    expect(verifyChain(db, { checkpoint: cp })).toMatchObject({ ok: true, external: { seq: 11, status: 'matched' } });
  });
});

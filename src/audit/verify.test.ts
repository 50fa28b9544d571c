import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, openAuditDb, pruneBefore, queryAudit, verifyChain, writeCheckpoint, exportCheckpoint, parseCheckpoint, type AuditDb } from './direct.js';
import { fromDbRow, hashRow, GENESIS_HASH } from './chain.js';
import { loadSigningKey } from './checkpoint.js';
import { ed25519Pems, sampleEvent, tamper, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let db: AuditDb;

beforeEach(() => {
  t = tempAuditDir();
  db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 10 }, (_, i) => sampleEvent(i + 1)));
});
afterEach(() => {
  db.close();
  t.cleanup();
});

// What an attacker with file access and the source code can do: recompute every hash from `from` on.
function rehashFrom(from: number): void {
  const rows = (db.prepare('SELECT * FROM audit_events WHERE seq >= ? ORDER BY seq').all(from) as Record<string, unknown>[]).map(fromDbRow);
  let prev = (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(from - 1) as string | undefined) ?? GENESIS_HASH;
  for (const row of rows) {
    const hash = hashRow(prev, row.seq, row);
    tamper(db, 'UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?', prev, hash, row.seq);
    prev = hash;
  }
}

describe('verifyChain', () => {
  it('accepts an intact chain that starts from the genesis hash', () => {
    const r = verifyChain(db);
    expect(r).toMatchObject({ ok: true, checked: 10, lastSeq: 10 });
    expect(db.prepare('SELECT prev_hash FROM audit_events WHERE seq = 1').pluck().get()).toBe(GENESIS_HASH);
  });

  it('names an edited field as a hash mismatch at that record', () => {
    tamper(db, "UPDATE audit_events SET decision = 'deny' WHERE seq = 4");
    const r = verifyChain(db);
    expect(r.ok).toBe(false);
    expect(r.firstBad).toEqual({ seq: 4, reason: expect.stringContaining('hash mismatch') });
    expect(r.checked).toBe(3);
  });

  it('detects an edit inside a JSON field', () => {
    tamper(db, `UPDATE audit_events SET details = '{"i":99}' WHERE seq = 7`);
    expect(verifyChain(db).firstBad?.seq).toBe(7);
  });

  it('detects a deleted middle row as a seq gap', () => {
    tamper(db, 'DELETE FROM audit_events WHERE seq = 5');
    const r = verifyChain(db);
    expect(r.firstBad).toEqual({ seq: 6, reason: expect.stringContaining('seq gap: expected 5') });
  });

  it('detects a deleted middle row even when the later seqs are renumbered', () => {
    tamper(db, 'DELETE FROM audit_events WHERE seq = 5');
    for (let s = 6; s <= 10; s++) tamper(db, 'UPDATE audit_events SET seq = ? WHERE seq = ?', s - 1, s);
    expect(verifyChain(db).firstBad).toEqual({ seq: 5, reason: expect.stringContaining('prev_hash') });
  });

  it('detects a reordered pair (two rows with their seqs swapped)', () => {
    tamper(db, 'UPDATE audit_events SET seq = -1 WHERE seq = 5');
    tamper(db, 'UPDATE audit_events SET seq = 5 WHERE seq = 6');
    tamper(db, 'UPDATE audit_events SET seq = 6 WHERE seq = -1');
    const r = verifyChain(db);
    expect(r.ok).toBe(false);
    expect(r.firstBad?.seq).toBe(5);
  });

  it('detects a truncated tail against the last exported checkpoint', () => {
    writeCheckpoint(db);
    const cp = parseCheckpoint(JSON.stringify(exportCheckpoint(t.dbPath)));
    // A thorough attacker removes the tail and the stored checkpoint that covered it.
    tamper(db, 'DELETE FROM audit_events WHERE seq >= 8');
    db.prepare('DELETE FROM audit_checkpoints').run();
    expect(verifyChain(db).ok).toBe(true); // internally consistent...
    const r = verifyChain(db, { checkpoint: cp });
    expect(r.ok).toBe(false); // ...but shorter than the checkpoint says
    expect(r.firstBad).toEqual({ seq: 8, reason: expect.stringContaining('truncated tail') });
  });

  it('detects a truncated tail against a stored checkpoint left in place', () => {
    writeCheckpoint(db);
    tamper(db, 'DELETE FROM audit_events WHERE seq >= 9');
    expect(verifyChain(db).firstBad).toEqual({ seq: 9, reason: expect.stringContaining('truncated') });
  });

  it('detects a fully rewritten chain against an exported checkpoint', () => {
    writeCheckpoint(db);
    const cp = exportCheckpoint(t.dbPath);
    expect(cp).not.toBeNull();
    tamper(db, "UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 3");
    rehashFrom(3);
    const head = db.prepare('SELECT hash FROM audit_events WHERE seq = 10').pluck().get() as string;
    db.prepare('UPDATE audit_checkpoints SET hash = ?').run(head); // stored checkpoints rewritten too
    expect(verifyChain(db).ok).toBe(true);
    const r = verifyChain(db, { checkpoint: parseCheckpoint(JSON.stringify(cp)) });
    expect(r.firstBad).toEqual({ seq: 10, reason: expect.stringContaining('external checkpoint') });
  });

  it('rejects a bad signature on a stored checkpoint when a public key is given', () => {
    const keys = ed25519Pems();
    writeCheckpoint(db, { signer: loadSigningKey(keys.privatePem) });
    expect(verifyChain(db, { publicKeyPem: keys.publicPem }).ok).toBe(true);
    // The whole chain rewritten: the attacker can recompute hashes but not the signature.
    tamper(db, "UPDATE audit_events SET status = 500 WHERE seq = 2");
    rehashFrom(2);
    db.prepare('UPDATE audit_checkpoints SET hash = (SELECT hash FROM audit_events WHERE seq = 10)').run();
    const r = verifyChain(db, { publicKeyPem: keys.publicPem });
    expect(r.firstBad).toEqual({ seq: 10, reason: expect.stringContaining('invalid signature') });
    expect(verifyChain(db).ok).toBe(true); // without the key, only the chain's own consistency is checked
  });

  it('rejects checkpoints signed by another key and stripped signatures', () => {
    const a = ed25519Pems();
    const b = ed25519Pems();
    writeCheckpoint(db, { signer: loadSigningKey(a.privatePem) });
    expect(verifyChain(db, { publicKeyPem: b.publicPem }).firstBad?.reason).toContain('invalid signature');
    db.prepare('UPDATE audit_checkpoints SET signature = NULL, key_id = NULL').run();
    expect(verifyChain(db, { publicKeyPem: a.publicPem }).firstBad?.reason).toContain('no stored checkpoint is signed');
  });

  it('accepts a gateway without a key plus `checkpoint --signing-key` (unsigned checkpoints before the newest are notes)', () => {
    const keys = ed25519Pems();
    const signer = loadSigningKey(keys.privatePem);
    writeCheckpoint(db, { signer: null }); // gateway, no key
    appendDirect(db, [sampleEvent(11)]);
    writeCheckpoint(db, { signer }); // warden audit checkpoint --signing-key
    appendDirect(db, [sampleEvent(12)]);
    writeCheckpoint(db, { signer: null }); // the gateway's next periodic checkpoint
    appendDirect(db, [sampleEvent(13)]);
    writeCheckpoint(db, { signer }); // signed again before verifying
    const r = verifyChain(db, { publicKeyPem: keys.publicPem });
    expect(r.firstBad).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual(expect.arrayContaining(['stored checkpoint at seq 10 is unsigned', 'stored checkpoint at seq 12 is unsigned']));
  });

  it('requires the newest stored checkpoint to be validly signed when a key is given', () => {
    const keys = ed25519Pems();
    writeCheckpoint(db, { signer: loadSigningKey(keys.privatePem) });
    appendDirect(db, [sampleEvent(11)]);
    writeCheckpoint(db, { signer: null });
    expect(verifyChain(db, { publicKeyPem: keys.publicPem }).firstBad).toEqual({
      seq: 11,
      reason: expect.stringContaining('the newest stored checkpoint (seq 11) is unsigned; the last signed one is at seq 10'),
    });
  });

  it('reads in one snapshot: a prune committed by another connection mid-verify causes no false gap', () => {
    const reader = openAuditDb(t.dbPath, { readonly: true });
    const prep = reader.prepare.bind(reader);
    let pruned = false;
    reader.prepare = ((sql: string) => {
      if (!pruned && sql.startsWith('SELECT * FROM audit_events')) {
        pruned = true;
        pruneBefore(db, 1_700_000_000_000 + 3500, { minRetentionMs: 0 }); // `warden audit prune` elsewhere
      }
      return prep(sql);
    }) as typeof reader.prepare;
    const r = verifyChain(reader);
    reader.close();
    expect(pruned).toBe(true);
    expect(r.firstBad).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(verifyChain(db).ok).toBe(true);
  });

  it('checks the signature of an external checkpoint when a key is given', () => {
    const keys = ed25519Pems();
    writeCheckpoint(db, { signer: loadSigningKey(keys.privatePem) });
    const cp = parseCheckpoint(JSON.stringify(exportCheckpoint(t.dbPath)));
    expect(verifyChain(db, { checkpoint: cp, publicKeyPem: keys.publicPem }).ok).toBe(true);
    const forged = { ...cp, time: cp.time + 1 };
    expect(verifyChain(db, { checkpoint: forged, publicKeyPem: keys.publicPem }).firstBad?.reason).toContain('external checkpoint has an invalid signature');
  });

  it('reports text columns turned into BLOBs of the same bytes (hidden from filtered queries) at that seq, in spite of a matching checkpoint', () => {
    writeCheckpoint(db);
    const cp = parseCheckpoint(JSON.stringify(exportCheckpoint(t.dbPath)));
    expect(queryAudit(db, { agent: 'agent-a', channel: 'mcp', order: 'oldest' }).map((r) => r.seq)).toContain(4);
    tamper(db, 'UPDATE audit_events SET agent_id = CAST(agent_id AS BLOB), channel = CAST(channel AS BLOB), decision = CAST(decision AS BLOB) WHERE seq = 4');
    tamper(db, 'UPDATE audit_lookup SET agent_id = CAST(agent_id AS BLOB) WHERE seq = 4');
    expect(queryAudit(db, { agent: 'agent-a', channel: 'mcp', order: 'oldest' }).map((r) => r.seq)).not.toContain(4); // what it hides
    const r = verifyChain(db, { checkpoint: cp });
    expect(r).toMatchObject({ ok: false, checked: 3, firstBad: { seq: 4, reason: expect.stringMatching(/^storage type changed: column agent_id holds a blob value, not text/) } });
  });

  it('reports a time turned into a BLOB of its digits (hidden from every --until query) at that seq', () => {
    tamper(db, 'UPDATE audit_events SET time = CAST(CAST(time AS TEXT) AS BLOB) WHERE seq = 6');
    tamper(db, 'UPDATE audit_lookup SET time = CAST(CAST(time AS TEXT) AS BLOB) WHERE seq = 6');
    expect(queryAudit(db, { until: 2e12, order: 'oldest' }).map((r) => r.seq)).not.toContain(6); // a BLOB sorts after every number
    expect(verifyChain(db).firstBad).toEqual({ seq: 6, reason: expect.stringMatching(/^storage type changed: column time holds a blob value, not a number/) });
  });

  it('hash covers seq: the same content at another position hashes differently', () => {
    const row = fromDbRow(db.prepare('SELECT * FROM audit_events WHERE seq = 1').get() as Record<string, unknown>);
    expect(hashRow(GENESIS_HASH, 1, row)).toBe(row.hash);
    expect(hashRow(GENESIS_HASH, 2, row)).not.toBe(row.hash);
  });
});

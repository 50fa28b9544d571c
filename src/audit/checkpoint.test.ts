import { readdirSync, readFileSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, listCheckpoints, openAuditDb, readHead, verifyChain, writeCheckpoint, type AuditDb } from './direct.js';
import { loadSigningKey } from './checkpoint.js';
import { headMarkerPath, readHeadMarker } from './head-marker.js';
import { ed25519Pems, sampleEvent, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let db: AuditDb;
beforeEach(() => {
  t = tempAuditDir();
  db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 3 }, (_, i) => sampleEvent(i + 1)));
});
afterEach(() => {
  db.close();
  t.cleanup();
});

describe('writeCheckpoint', () => {
  it('runs the check inside the write transaction (lock held) and writes nothing when it throws', () => {
    let inTx = false;
    expect(() =>
      writeCheckpoint(db, {
        check: () => {
          inTx = db.inTransaction;
          throw new Error('audit database file was deleted');
        },
      }),
    ).toThrow(/deleted/);
    expect(inTx).toBe(true);
    expect(db.inTransaction).toBe(false);
    expect(listCheckpoints(db)).toHaveLength(0);
  });

  it('writes nothing new when no records were added and no signer asks for a signature', () => {
    expect(writeCheckpoint(db)?.checkpoint.seq).toBe(3);
    expect(writeCheckpoint(db)).toBeNull();
    expect(listCheckpoints(db)).toHaveLength(1);
  });

  it('with a signer, writes a fresh signed checkpoint at the same head when the latest one is unsigned', () => {
    writeCheckpoint(db);
    const keys = ed25519Pems();
    const signer = loadSigningKey(keys.privatePem);
    const r = writeCheckpoint(db, { signer });
    expect(r?.checkpoint).toMatchObject({ seq: 3, keyId: signer.keyId, signature: expect.any(String) });
    expect(listCheckpoints(db).map((c) => c.signature !== null)).toEqual([false, true]);
    expect(writeCheckpoint(db, { signer })).toBeNull(); // already signed by this key: nothing to add
    expect(verifyChain(db, { publicKeyPem: keys.publicPem }).ok).toBe(true);
  });

  it('with a signer, re-signs at the same head when the latest checkpoint is signed by another key', () => {
    const a = loadSigningKey(ed25519Pems().privatePem);
    const b = loadSigningKey(ed25519Pems().privatePem);
    writeCheckpoint(db, { signer: a });
    expect(writeCheckpoint(db, { signer: b })?.checkpoint).toMatchObject({ seq: 3, keyId: b.keyId });
    expect(listCheckpoints(db).map((c) => c.keyId)).toEqual([a.keyId, b.keyId]);
  });

  it('rewrites the head marker beside the database atomically, mode 0600, with the checkpoint head', () => {
    const r = writeCheckpoint(db)!;
    expect(r.markerError).toBeUndefined();
    expect(readHeadMarker(t.dbPath)).toEqual({ seq: 3, hash: readHead(db).hash, time: r.checkpoint.time });
    expect(statSync(headMarkerPath(t.dbPath)).mode & 0o777).toBe(0o600);
    appendDirect(db, [sampleEvent(4)]);
    writeCheckpoint(db);
    expect(JSON.parse(readFileSync(headMarkerPath(t.dbPath), 'utf8'))).toMatchObject({ seq: 4 });
    expect(readdirSync(t.dir).filter((f) => f.endsWith('.tmp'))).toEqual([]); // no temp file left behind
  });

  it('leaves the head marker alone when asked to', () => {
    writeCheckpoint(db, { headMarker: false });
    expect(readHeadMarker(t.dbPath)).toBeNull();
  });
});

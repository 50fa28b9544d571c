import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { appendDirect, openAuditDb, parseCheckpoint, queryAudit, readHeadMarker, verifyChain } from './direct.js';
import { createAuditSink, type WorkerAuditSink } from './sink.js';
import { ed25519Pems, sampleEvent, tempAuditDir, until } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let sink: WorkerAuditSink | null = null;
beforeEach(() => (t = tempAuditDir()));
afterEach(async () => {
  await sink?.close({ deadlineMs: 1000 });
  sink = null;
  t.cleanup();
});


describe('worker-backed audit sink', () => {
  it('resolves append only after the record is committed (visible to another connection)', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'full' });
    const reader = new Database(t.dbPath, { readonly: true });
    const has = reader.prepare('SELECT request_id FROM audit_events WHERE seq = ?').pluck();
    for (let i = 1; i <= 5; i++) {
      const seq = await sink.append(sampleEvent(i));
      expect(seq).toBe(i);
      expect(has.get(seq)).toBe(`req-${i}`);
    }
    const burst = await Promise.all(Array.from({ length: 300 }, (_, i) => sink!.append(sampleEvent(100 + i))));
    expect(burst).toEqual(Array.from({ length: 300 }, (_, i) => 6 + i));
    expect(has.get(305)).toBe('req-399');
    reader.close();
  });

  it('commits records whose details cannot be cloned or serialized as they are (cycle, bigint, function, throwing toJSON)', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath });
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic.self = cyclic;
    const throwing = { toJSON: () => { throw new RangeError('Invalid string length'); } };
    const seqs = await Promise.all([
      sink.append(sampleEvent(1, { details: cyclic })),
      sink.append(sampleEvent(2, { details: { big: 10n ** 20n, fn: () => 1 } as unknown as Record<string, unknown> })),
      sink.append(sampleEvent(3, { status: 403, decision: 'deny', details: throwing as unknown as Record<string, unknown> })),
      sink.append(sampleEvent(4)),
    ]);
    expect(seqs).toEqual([1, 2, 3, 4]);
    const db = openAuditDb(t.dbPath, { readonly: true });
    const rows = queryAudit(db, { limit: 10 }).sort((a, b) => a.seq - b.seq);
    expect(rows.map((r) => r.details)).toEqual([
      { n: 1, self: '[Circular]' },
      { big: '100000000000000000000' },
      { auditError: expect.stringMatching(/RangeError: Invalid string length/) },
      { i: 4 },
    ]);
    expect(rows[2]).toMatchObject({ requestId: 'req-3', status: 403, decision: 'deny' });
    expect(verifyChain(db).ok).toBe(true);
    db.close();
  });

  it('groups one tick of appends into few transactions, at most maxBatch each', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, maxBatch: 64 });
    const seqs = await Promise.all(Array.from({ length: 200 }, (_, i) => sink!.append(sampleEvent(i))));
    expect(new Set(seqs).size).toBe(200);
    expect(sink.stats()).toMatchObject({ committed: 200, lastSeq: 200, queued: 0, waiting: 0 });
  });

  // A regression guard for the writer taking every queued message before it commits.
  it('commits the appends that arrived while a commit waited in one group, not one each', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, busyTimeoutMs: 5_000 });
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    // The first append's commit waits for the lock; the next 19 come in turns of their own meanwhile.
    const pending = [sink.append(sampleEvent(0))];
    for (let i = 1; i < 20; i++) {
      await new Promise((r) => setImmediate(r));
      pending.push(sink.append(sampleEvent(i)));
    }
    await new Promise((r) => setTimeout(r, 100));
    lock.exec('COMMIT');
    lock.close();
    expect(new Set(await Promise.all(pending)).size).toBe(20);
    expect(sink.stats().committed).toBe(20);
    expect(sink.stats().groups).toBeLessThanOrEqual(3);
  });

  it('interleaves with a direct writer on the same file without forking the chain', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath });
    const direct = openAuditDb(t.dbPath);
    const pending: Promise<number>[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 25; i++) pending.push(sink.append(sampleEvent(round * 100 + i)));
      appendDirect(direct, [sampleEvent(round * 100 + 50, { channel: 'admin' }), sampleEvent(round * 100 + 51, { channel: 'admin' })]);
      await new Promise((r) => setImmediate(r));
    }
    const seqs = await Promise.all(pending);
    expect(new Set(seqs).size).toBe(500);
    const v = verifyChain(direct);
    expect(v).toMatchObject({ ok: true, checked: 540, lastSeq: 540 });
    direct.close();
  });

  it('refuses appends beyond maxPending at once, then records an audit.gap when it recovers', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, maxPending: 10, commitWaitMs: 3000, busyTimeoutMs: 20 });
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN EXCLUSIVE');
    const started = Date.now();
    const results = Array.from({ length: 15 }, (_, i) => sink!.append(sampleEvent(i)).then((seq) => ({ seq }), (err: unknown) => ({ err, at: Date.now() })));
    const refused = await Promise.all(results.slice(10));
    for (const r of refused) {
      expect((r as { err: GatewayError }).err).toBeInstanceOf(GatewayError);
      expect((r as { err: GatewayError }).err.code).toBe('AUDIT_UNAVAILABLE');
      expect((r as { at: number }).at - started).toBeLessThan(500); // refused at once, not after commitWaitMs
    }
    expect(sink.healthy()).toBe(false);
    expect(sink.stats().refused).toBe(5);
    await new Promise((r) => setTimeout(r, 200));
    lock.exec('COMMIT');
    lock.close();
    const accepted = await Promise.all(results.slice(0, 10));
    expect(accepted.every((r) => 'seq' in r)).toBe(true);
    await until(() => sink!.healthy());
    const db = openAuditDb(t.dbPath, { readonly: true });
    await until(() => queryAudit(db, { channel: 'system' }).length > 0);
    const [gap] = queryAudit(db, { channel: 'system' });
    expect(gap).toMatchObject({ action: 'audit.gap', code: 'AUDIT_UNAVAILABLE', details: { refused: 5 } });
    expect(verifyChain(db).ok).toBe(true);
    db.close();
  });

  it('close drains, writes a final checkpoint and truncates the WAL', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, checkpoint: { everyRecords: 1000 } });
    const seqs = await Promise.all(Array.from({ length: 20 }, (_, i) => sink!.append(sampleEvent(i))));
    await sink.close();
    await expect(sink.append(sampleEvent(99))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    sink = null;
    expect(statSync(t.dbPath + '-wal', { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    const db = openAuditDb(t.dbPath, { readonly: true });
    expect(db.prepare('SELECT seq FROM audit_checkpoints ORDER BY id DESC LIMIT 1').pluck().get()).toBe(Math.max(...seqs));
    db.close();
  });

  it('writes signed checkpoints to the database and the external JSONL file', async () => {
    const keys = ed25519Pems();
    const file = join(t.dir, 'checkpoints.jsonl');
    sink = await createAuditSink({ dbPath: t.dbPath, checkpoint: { everyRecords: 5, file, signingKeyPem: keys.privatePem } });
    for (let i = 0; i < 12; i++) await sink.append(sampleEvent(i));
    await sink.close();
    sink = null;
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3); // at 5, 10 and the final one at 12
    const last = parseCheckpoint(readFileSync(file, 'utf8'));
    expect(last).toMatchObject({ seq: 12, keyId: expect.stringMatching(/^ed25519:/), signature: expect.any(String) });
    const db = openAuditDb(t.dbPath, { readonly: true });
    expect(verifyChain(db, { checkpoint: last, publicKeyPem: keys.publicPem })).toMatchObject({ ok: true, checked: 12 });
    db.close();
  });

  it('records an audit.discontinuity when restarted on a database that does not reach the exported checkpoint', async () => {
    const file = join(t.dir, 'checkpoints.jsonl');
    sink = await createAuditSink({ dbPath: t.dbPath, checkpoint: { file } });
    await sink.append(sampleEvent(1));
    await sink.close();
    for (const f of [t.dbPath, t.dbPath + '-wal', t.dbPath + '-shm']) rmSync(f, { force: true });
    sink = await createAuditSink({ dbPath: t.dbPath, checkpoint: { file } });
    await sink.flush();
    const db = openAuditDb(t.dbPath, { readonly: true });
    await until(() => queryAudit(db).length > 0);
    expect(queryAudit(db)[0]).toMatchObject({ seq: 1, action: 'audit.discontinuity', details: { checkpointSeq: 1, headSeq: 0 } });
    db.close();
  });

  it('records an audit.discontinuity from the head marker alone when the database was deleted and recreated', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath }); // no checkpoint file configured
    await sink.append(sampleEvent(1));
    await sink.append(sampleEvent(2));
    await sink.close(); // final checkpoint → <db>.head
    const marker = readHeadMarker(t.dbPath);
    expect(marker).toMatchObject({ seq: 2 });
    for (const f of [t.dbPath, t.dbPath + '-wal', t.dbPath + '-shm']) rmSync(f, { force: true });
    sink = await createAuditSink({ dbPath: t.dbPath });
    expect(await sink.append(sampleEvent(3))).toBe(2); // the discontinuity record took seq 1
    const db = openAuditDb(t.dbPath, { readonly: true });
    const [first] = queryAudit(db);
    expect(first).toMatchObject({
      seq: 1,
      channel: 'system',
      action: 'audit.discontinuity',
      decision: 'error',
      details: { sources: ['head-marker'], markerSeq: 2, markerHash: (marker as { hash: string }).hash, headSeq: 0 },
    });
    db.close();
    // Reported once: the writer checkpoints right after it, so the marker describes the new segment.
    await sink.close();
    sink = await createAuditSink({ dbPath: t.dbPath });
    await sink.append(sampleEvent(4));
    const again = openAuditDb(t.dbPath, { readonly: true });
    expect(queryAudit(again, { channel: 'system', limit: 10 }).map((r) => r.action)).toEqual(['audit.discontinuity']);
    again.close();
  });

  it('records an audit.discontinuity when the database was restored from an older copy', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath });
    await sink.append(sampleEvent(1));
    await sink.close();
    const old = readFileSync(t.dbPath);
    sink = await createAuditSink({ dbPath: t.dbPath });
    for (let i = 2; i <= 4; i++) await sink.append(sampleEvent(i));
    await sink.close(); // marker now at seq 4
    rmSync(t.dbPath + '-wal', { force: true });
    rmSync(t.dbPath + '-shm', { force: true });
    writeFileSync(t.dbPath, old);
    sink = await createAuditSink({ dbPath: t.dbPath });
    await sink.flush();
    await sink.append(sampleEvent(5));
    const db = openAuditDb(t.dbPath, { readonly: true });
    expect(queryAudit(db, { afterSeq: 1, limit: 1 })[0]).toMatchObject({ action: 'audit.discontinuity', details: { markerSeq: 4, headSeq: 1 } });
    db.close();
  });

  it('does not report a clean close as a health change (healthy() still turns false)', async () => {
    const changes: Array<[boolean, string | null]> = [];
    sink = await createAuditSink({ dbPath: t.dbPath, onHealthChange: (ok, problem) => changes.push([ok, problem]) });
    await sink.append(sampleEvent(1));
    const closing = sink.close();
    expect(sink.healthy()).toBe(false);
    expect(sink.problem()).toBe('audit store is closing');
    await closing;
    expect(changes).toEqual([]);
    sink = null;
  });

  it('refuses to start with an unusable signing key or database', async () => {
    await expect(createAuditSink({ dbPath: t.dbPath, checkpoint: { signingKeyPem: 'not a key' } })).rejects.toThrow(/signing key/);
    await expect(createAuditSink({ dbPath: join(t.dir, 'missing-dir', 'audit.db') })).rejects.toThrow(/cannot be opened/);
    expect(existsSync(t.dbPath)).toBe(false);
  });
});

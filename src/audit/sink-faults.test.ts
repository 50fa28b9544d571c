import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { openAuditDb, queryAudit, verifyChain } from './direct.js';
import { createAuditSink, type WorkerAuditSink } from './sink.js';
import { sampleEvent, tempAuditDir, until } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let sink: WorkerAuditSink | null = null;
beforeEach(() => (t = tempAuditDir()));
afterEach(async () => {
  await sink?.close({ deadlineMs: 500 });
  sink = null;
  t.cleanup();
});


describe('audit sink under storage faults', () => {
  it('fails closed within commitWaitMs while the DB is locked, and the amended record (503) lands after release', async () => {
    const health: Array<[boolean, string | null]> = [];
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 300, busyTimeoutMs: 50, onHealthChange: (ok, p) => health.push([ok, p]) });
    await sink.append(sampleEvent(1));
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN EXCLUSIVE');
    const started = Date.now();
    const err = await sink.append(sampleEvent(2, { status: 200, decision: 'allow' })).catch((e: unknown) => e);
    const waited = Date.now() - started;
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('AUDIT_UNAVAILABLE');
    expect((err as GatewayError).httpStatus).toBe(503);
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(1000);
    expect(sink.healthy()).toBe(false);
    expect(sink.problem()).toMatch(/locked/);
    expect(health[0]?.[0]).toBe(false);

    lock.exec('COMMIT');
    lock.close();
    const db = openAuditDb(t.dbPath, { readonly: true });
    await until(() => queryAudit(db, { afterSeq: 1 }).length > 0);
    const [amended] = queryAudit(db, { afterSeq: 1 });
    expect(amended).toMatchObject({
      requestId: 'req-2',
      status: 503,
      decision: 'error',
      code: 'AUDIT_UNAVAILABLE',
      details: { i: 2, auditAmended: { status: 200, decision: 'allow' } },
    });
    await until(() => sink!.healthy());
    expect(await sink.append(sampleEvent(3))).toBe(3);
    expect(verifyChain(db)).toMatchObject({ ok: true, checked: 3 });
    db.close();
  });

  it('becomes unhealthy within ~2 s when the DB file is deleted, and rejects appends without writing', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 500 });
    await sink.append(sampleEvent(1));
    unlinkSync(t.dbPath);
    const took = await until(() => !sink!.healthy(), 2500);
    expect(took).toBeLessThan(2000);
    expect(sink.problem()).toMatch(/deleted/);
    const started = Date.now();
    await expect(sink.append(sampleEvent(2))).rejects.toBeInstanceOf(GatewayError);
    expect(Date.now() - started).toBeLessThan(100); // permanent: no point waiting
  });

  it('never commits into a file deleted while the writer waited for the lock (orphaned-file commit)', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, busyTimeoutMs: 3000, commitWaitMs: 5000, identityCheckMs: 100 });
    await sink.append(sampleEvent(1));
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN IMMEDIATE');
    const p = sink.append(sampleEvent(2)).then((s) => s, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300)); // the writer now waits inside BEGIN IMMEDIATE
    unlinkSync(t.dbPath);
    await new Promise((r) => setTimeout(r, 300));
    lock.exec('COMMIT');
    const res = await p;
    expect(res).toBeInstanceOf(GatewayError);
    expect((res as GatewayError).code).toBe('AUDIT_UNAVAILABLE');
    expect(lock.prepare('SELECT request_id FROM audit_events').pluck().all()).toEqual(['req-1']);
    expect(sink.healthy()).toBe(false);
    expect(sink.problem()).toMatch(/deleted/);
    lock.close();
  });

  it('commits oversized details (repeated references) as "[TooLarge]" instead of failing the record', async () => {
    // Normalizing gives up past the cap (about 64 KiB of text), not at V8's string limit.
    sink = await createAuditSink({ dbPath: t.dbPath });
    const big = 'x'.repeat(1 << 20);
    const details: Record<string, string> = {};
    for (let i = 0; i < 600; i++) details['k' + i] = big; // ~600 MiB as JSON
    expect(await sink.append(sampleEvent(1, { details, status: 200 }))).toBe(1);
    expect(sink.healthy()).toBe(true);
    expect(await sink.append(sampleEvent(2))).toBe(2);
    const db = openAuditDb(t.dbPath, { readonly: true });
    const [first] = queryAudit(db, { afterSeq: 0 });
    expect(first).toMatchObject({ requestId: 'req-1', status: 200, details: { auditTooLarge: ['details'], value: '[TooLarge]' } });
    expect(verifyChain(db).ok).toBe(true);
    db.close();
  });

  it('treats a file replaced under the same path like a deleted one', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, identityCheckMs: 100 });
    await sink.append(sampleEvent(1));
    const other = join(t.dir, 'other.db');
    writeFileSync(other, '');
    renameSync(other, t.dbPath);
    await until(() => !sink!.healthy(), 2000);
    expect(sink.problem()).toMatch(/replaced/);
    await expect(sink.append(sampleEvent(2))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
  });
});

describe('audit sink when the writer thread dies', () => {
  it('fails waiting appends with AUDIT_UNAVAILABLE and stays unhealthy', async () => {
    // A stand-in writer that starts fine and crashes on its first batch.
    const script = join(t.dir, 'crashing-writer.mjs');
    writeFileSync(
      script,
      `import { parentPort } from 'node:worker_threads';
       parentPort.postMessage({ type: 'ready', head: { seq: 0, hash: '0'.repeat(64) } });
       parentPort.on('message', () => { throw new Error('boom'); });`,
    );
    const health: boolean[] = [];
    sink = await createAuditSink({ dbPath: t.dbPath, writerUrl: pathToFileURL(script), onHealthChange: (ok) => health.push(ok) });
    await expect(sink.append(sampleEvent(1))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(sink.healthy()).toBe(false);
    expect(sink.problem()).toMatch(/writer thread/);
    expect(health).toEqual([false]);
    await expect(sink.append(sampleEvent(2))).rejects.toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    await sink.close(); // does not hang on a dead thread
  });
});

describe('audit sink when a send to the writer fails', () => {
  it('amends only records the writer got: an expired append that could not be sent leaves no false audit.amend', async () => {
    const logged: string[] = [];
    const log = { warn: (_o: object, m: string) => logged.push(m), error: (_o: object, m: string) => logged.push(m) };
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 50, log });
    const s = sink;
    expect(await s.append(sampleEvent(1))).toBe(1);
    // Records fail to reach the writer (control messages still do) while append 2 expires.
    const send = Worker.prototype.postMessage;
    const spy = vi.spyOn(Worker.prototype, 'postMessage').mockImplementation(function (this: Worker, msg: unknown) {
      if (Array.isArray(msg) && (msg[0] as unknown[]).length > 0) throw new Error('injected send failure');
      send.call(this, msg);
    });
    // Appended inside a check-phase callback and the loop held past commitWaitMs, so the
    // deadline timer (next turn's timers phase) runs before the batch's own send (check phase).
    const err = await new Promise<{ result: Promise<number> }>((resolve) =>
      setImmediate(() => {
        const result = s.append(sampleEvent(2, { status: 200 }));
        result.catch(() => undefined);
        const t0 = Date.now();
        while (Date.now() - t0 < 120);
        resolve({ result });
      }),
    ).then(({ result }) => result.catch((e: unknown) => e));
    spy.mockRestore();
    expect(err).toMatchObject({ code: 'AUDIT_UNAVAILABLE' });
    expect(logged).toContain('cannot message the audit writer');
    expect(await s.append(sampleEvent(3))).toBe(2); // after any amend the writer was sent
    const db = openAuditDb(t.dbPath, { readonly: true });
    const rows = queryAudit(db, { afterSeq: 0 });
    db.close();
    expect(rows.map((r) => r.requestId).sort()).toEqual(['req-1', 'req-3']);
  });
});

describe('audit sink close races', () => {
  it('records an amend that arrives while closing (client answered 503, record committed as 200)', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 100 });
    const s = sink;
    const p = s.append(sampleEvent(1, { status: 200, decision: 'allow' })).then(() => 200, () => 503);
    setImmediate(() => {
      void s.close({ deadlineMs: 2000 });
      const t0 = Date.now();
      while (Date.now() - t0 < 300); // the main loop is busy while the writer commits
    });
    expect(await p).toBe(503);
    await s.close();
    const db = openAuditDb(t.dbPath, { readonly: true });
    const rows = queryAudit(db, { afterSeq: 0 });
    db.close();
    const own = rows.find((r) => r.requestId === 'req-1' && r.action !== 'audit.amend');
    const correction = rows.find((r) => r.action === 'audit.amend' && r.requestId === 'req-1');
    expect(own?.status === 503 || correction?.status === 503).toBe(true);
  });

  it('never terminates the writer inside a SQLite busy wait when closing on a locked database', async () => {
    const logged: string[] = [];
    const log = { warn: (_o: object, m: string) => logged.push(m), error: (_o: object, m: string) => logged.push(m) };
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 5000, busyTimeoutMs: 3000, log });
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN EXCLUSIVE');
    const ps = [1, 2].map((i) => sink!.append(sampleEvent(i)).then(() => 'ok', () => 'rejected'));
    await new Promise((r) => setTimeout(r, 100));
    const closeStarted = Date.now();
    await sink.close({ deadlineMs: 300 }); // before the fix: terminate() hit the busy wait (process abort)
    expect(await Promise.all(ps)).toEqual(['rejected', 'rejected']);
    expect(logged).not.toContain('audit writer did not close in time; terminating it');
    // One commit attempt in flight at the deadline, then no more busy waits (the store is faulted).
    expect(Date.now() - closeStarted).toBeLessThan(300 + 3000 + 1500);
    lock.exec('COMMIT');
    lock.close();
  }, 20_000);
});

describe('audit sink deadlines', () => {
  it('uses a monotonic clock: a wall-clock step back does not stretch commitWaitMs', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, commitWaitMs: 300, busyTimeoutMs: 50 });
    const lock = new Database(t.dbPath);
    lock.exec('BEGIN EXCLUSIVE');
    const t0 = performance.now();
    const p = sink.append(sampleEvent(1)).then(() => 'ok', () => 'rejected');
    const real = Date.now.bind(Date);
    const spy = vi.spyOn(Date, 'now').mockImplementation(() => real() - 60_000); // NTP steps the clock back 60 s
    try {
      const res = await Promise.race([p, new Promise((r) => setTimeout(() => r('still waiting'), 3000))]);
      expect(res).toBe('rejected');
      expect(performance.now() - t0).toBeLessThan(1500);
    } finally {
      spy.mockRestore();
      lock.exec('COMMIT');
      lock.close();
    }
  });
});

import { mkdirSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAuditSink, type WorkerAuditSink } from './sink.js';
import { sampleEvent, tempAuditDir, until } from './test-fixtures.js';
import { startWalSync, type WalSync } from './wal-sync.js';

let t: ReturnType<typeof tempAuditDir>;
let wal: string;
let syncer: WalSync | null = null;
let sink: WorkerAuditSink | null = null;
beforeEach(() => {
  t = tempAuditDir();
  wal = `${t.dbPath}-wal`;
});
afterEach(async () => {
  await syncer?.stop();
  syncer = null;
  await sink?.close({ deadlineMs: 1000 });
  sink = null;
  t.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Descriptors of this process (the writer thread's included) open on `path`, or on it deleted since. */
function openDescriptors(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd));
      if (target === path || target === `${path} (deleted)`) n++;
    } catch {
      // closed meanwhile
    }
  }
  return n;
}

/** A sync that records its calls and completes when the test says so. */
function heldSync() {
  const calls: number[] = [];
  const pending: Array<(err: NodeJS.ErrnoException | null) => void> = [];
  return {
    calls,
    pending,
    sync: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => {
      calls.push(fd);
      pending.push(done);
    },
  };
}

describe('background WAL sync', () => {
  it('syncs only after commits, one sync at a time, and again after the next commit', async () => {
    writeFileSync(wal, '');
    const s = heldSync();
    syncer = startWalSync(wal, 10, { sync: s.sync });
    await sleep(60);
    expect(s.calls).toEqual([]); // nothing committed: nothing to sync

    syncer.noteCommit();
    await until(() => s.calls.length === 1);
    syncer.noteCommit(); // committed while the sync runs
    await sleep(60);
    expect(s.calls.length).toBe(1); // never a second one while the first is out
    s.pending[0]!(null);
    await until(() => s.calls.length === 2); // the commit made meanwhile is synced next
    s.pending[1]!(null);
    await sleep(60);
    expect(s.calls.length).toBe(2); // and nothing after that without a new commit
    expect(openDescriptors(wal)).toBe(1);
  });

  it('reopens the WAL after a failed sync, reports the failure once and the recovery, and stop() resolves once the sync in flight is done and the descriptor closed', async () => {
    writeFileSync(wal, '');
    const s = heldSync();
    const events: string[] = [];
    syncer = startWalSync(wal, 10, { sync: s.sync, onError: (e) => events.push(`error ${e.code}`), onRecovered: () => events.push('recovered') });
    syncer.noteCommit();
    await until(() => s.calls.length === 1);
    s.pending[0]!(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    expect(openDescriptors(wal)).toBe(0);
    // Tried again, on a fresh descriptor, without another commit; the second failure is not reported again.
    await until(() => s.calls.length === 2);
    expect(openDescriptors(wal)).toBe(1);
    s.pending[1]!(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    await until(() => s.calls.length === 3);
    expect(events).toEqual(['error EIO']);
    s.pending[2]!(null);
    expect(events).toEqual(['error EIO', 'recovered']);

    syncer.noteCommit();
    await until(() => s.calls.length === 4);
    let stopped = false;
    const stopping = syncer.stop().then(() => (stopped = true));
    await sleep(30);
    expect(stopped).toBe(false); // the sync in flight still uses the descriptor
    expect(openDescriptors(wal)).toBe(1);
    s.pending[3]!(null);
    await stopping;
    expect(openDescriptors(wal)).toBe(0);
    expect(s.calls.length).toBe(4);
  });

  it('reports a WAL it cannot open once, and syncs it once it can', async () => {
    const s = heldSync();
    const errors: string[] = [];
    syncer = startWalSync(wal, 10, { sync: s.sync, onError: (e) => errors.push(e.code ?? '') });
    syncer.noteCommit();
    await until(() => errors.length === 1);
    await sleep(50);
    expect(errors).toEqual(['ENOENT']);
    expect(s.calls).toEqual([]);
    writeFileSync(wal, '');
    await until(() => s.calls.length === 1);
    s.pending[0]!(null);
  });

  it('runs in the audit writer at durability normal, with the real fdatasync, and closes its descriptor with the writer', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'normal' });
    await sink.append(sampleEvent(1));
    // SQLite's own descriptor on the WAL, and the syncer's once it has synced.
    await until(() => openDescriptors(wal) === 2);
    await sink.close({ deadlineMs: 1000 });
    sink = null;
    expect(openDescriptors(wal)).toBe(0); // the WAL, deleted by the last connection's close, is held by no one
  });

  it('syncs the WAL beside the real database file when its path is a symlink', async () => {
    mkdirSync(join(t.dir, 'real'));
    const real = join(t.dir, 'real', 'audit.db');
    writeFileSync(real, '');
    symlinkSync(real, t.dbPath);
    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'normal' });
    await sink.append(sampleEvent(1));
    await until(() => openDescriptors(`${real}-wal`) === 2);
  });

  it('does not run at durability full (every commit syncs), nor with walSyncMs 0', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'full' });
    await sink.append(sampleEvent(1));
    await sleep(300);
    expect(openDescriptors(wal)).toBe(1);
    await sink.close({ deadlineMs: 1000 });

    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'normal', walSyncMs: 0 });
    await sink.append(sampleEvent(2));
    await sleep(300);
    expect(openDescriptors(wal)).toBe(1);
  });
});

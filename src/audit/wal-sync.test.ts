import { readdirSync, readlinkSync, writeFileSync } from 'node:fs';
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
  syncer?.stop();
  syncer = null;
  await sink?.close({ deadlineMs: 1000 });
  sink = null;
  t.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Descriptors of this process (the writer thread's included) open on `path`. */
function openDescriptors(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(join('/proc/self/fd', fd)) === path) n++;
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

  it('reopens the WAL after a failed sync, reports the failure, and closes it on stop once no sync uses it', async () => {
    writeFileSync(wal, '');
    const s = heldSync();
    const errors: string[] = [];
    syncer = startWalSync(wal, 10, { sync: s.sync, onError: (e) => errors.push(e.code ?? '') });
    syncer.noteCommit();
    await until(() => s.calls.length === 1);
    s.pending[0]!(Object.assign(new Error('I/O error'), { code: 'EIO' }));
    expect(errors).toEqual(['EIO']);
    expect(openDescriptors(wal)).toBe(0);
    // The failed sync is tried again, on a fresh descriptor, without another commit.
    await until(() => s.calls.length === 2);
    expect(openDescriptors(wal)).toBe(1);
    syncer.stop();
    expect(openDescriptors(wal)).toBe(1); // still in use by the sync in flight
    s.pending[1]!(null);
    await until(() => openDescriptors(wal) === 0);
  });

  it('waits for the WAL to exist instead of failing', async () => {
    const s = heldSync();
    syncer = startWalSync(wal, 10, { sync: s.sync });
    syncer.noteCommit();
    await sleep(60);
    expect(s.calls).toEqual([]);
    writeFileSync(wal, '');
    await until(() => s.calls.length === 1);
  });

  it('runs in the audit writer at durability normal only, with the real fdatasync', async () => {
    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'normal' });
    await sink.append(sampleEvent(1));
    // SQLite's own descriptor on the WAL, and the syncer's once it has synced.
    await until(() => openDescriptors(wal) === 2);
    await sink.close({ deadlineMs: 1000 });
    sink = null;
    expect(openDescriptors(wal)).toBe(0);

    sink = await createAuditSink({ dbPath: t.dbPath, durability: 'full' });
    await sink.append(sampleEvent(2));
    await sleep(300);
    expect(openDescriptors(wal)).toBe(1); // every commit syncs at full: no syncer
  });
});

/**
 * The audit writer thread. Owns the SQLite connection so the gateway's event loop never
 * does synchronous audit I/O. Everything that arrived while the previous commit ran is
 * committed as one transaction (group commit, at most maxBatch records); failed groups
 * stay queued in order and are retried with backoff.
 */
import { realpathSync, statSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { appendRows, readHead, systemEvent } from './append.js';
import type { AuditRow, ContentHalves } from './chain.js';
import { writeCheckpoint, loadSigningKey, type CheckpointSigner } from './checkpoint.js';
import { checkContinuity } from './continuity.js';
import { openAuditDb, type AuditDb } from './db.js';
import { DatabaseReplacedError, classifyStorageError, type StorageFault } from './storage-fault.js';
import { WriterQueue } from './writer-queue.js';
import { halvesFromValues, rowFromValues } from './row-values.js';
import { fillLookup, lookupThrough, LOOKUP_BATCH } from './lookup.js';
import type { FromWriter, ToWriter, WriterInit } from './writer-protocol.js';
import { monotonicNow } from './clock.js';
import { startWalSync, type WalSync } from './wal-sync.js';

if (!parentPort) throw new Error('writer-worker must run in a worker thread');
const port = parentPort;
const init = workerData as WriterInit;
const post = (m: FromWriter): void => port.postMessage(m);

const queue = new WriterQueue();
let db: AuditDb;
let identity: { dev: number; ino: number };
let signer: CheckpointSigner | null = null;
let state: 'idle' | 'scheduled' | 'backoff' = 'idle';
let failures = 0;
let fault: StorageFault | null = null;
let dead = false;
let closeDeadline: number | null = null;
let finished = false;
// Closing, step 1 done: 'drained' was sent; only 'finish' (and amends) are expected now.
let drained = false;
let sinceCheckpoint = 0;
let lastCheckpointAt = monotonicNow();
let ticker: NodeJS.Timeout | undefined;
// After an audit.discontinuity commits, checkpoint at once: the marker and the checkpoint file
// then describe the new segment, so the next start does not report the same break again.
let checkpointSoon = false;
// Producer ids committed already amended: a late 'amend' for them needs no correction record.
const recentlyAmended = new Set<number>();
// The query lookup (lookup.ts) is filled after commits, LOOKUP_BATCH records at a time, or
// LOOKUP_IDLE_MS after the first commit it has not covered when fewer arrived; queued commits
// go first unless it lags LOOKUP_MAX_LAG behind. `unindexed` estimates the records it has not
// covered (this writer's commits; a fill reads from the lookup's real end, so records a CLI
// appended or pruned meanwhile only make it a little off until the next fill).
const LOOKUP_IDLE_MS = 200;
const LOOKUP_MAX_LAG = 8 * LOOKUP_BATCH;
let unindexed = 0;
let lookupTimer: NodeJS.Timeout | undefined;
let lookupQueued = false;
let lookupWarned = false;
// At durability normal the WAL is synced in the background (wal-sync.ts), so the checkpoint
// SQLite runs inside a commit finds it mostly on disk already.
let walSync: WalSync | null = null;

function start(): void {
  try {
    signer = init.checkpoint.signingKeyPem ? loadSigningKey(init.checkpoint.signingKeyPem) : null;
    db = openAuditDb(init.dbPath, { durability: init.durability, busyTimeoutMs: init.busyTimeoutMs });
    // A lookup fill inserts many rows in one statement, so SQLite keeps a statement journal for
    // it: in memory, not in a temporary file created and deleted for every fill.
    db.pragma('temp_store = MEMORY');
    const st = statSync(init.dbPath);
    identity = { dev: st.dev, ino: st.ino };
    if (init.durability === 'normal' && init.walSyncMs > 0) {
      // SQLite keeps the WAL beside the database's real file, through any symlink.
      walSync = startWalSync(`${realpathSync(init.dbPath)}-wal`, init.walSyncMs, {
        onError: (err) => post({ type: 'warn', message: `background WAL sync failing (${err.code ?? 'error'}): SQLite's checkpoints may stall commits longer, and a power loss may take more recent records` }),
        onRecovered: () => post({ type: 'warn', message: 'background WAL sync working again' }),
      });
    }
    const continuity = checkContinuity(db, { dbPath: init.dbPath, checkpointFile: init.checkpoint.file });
    if (continuity.record) {
      queue.pushSystem(continuity.record); // the first new record
      checkpointSoon = true;
    }
    for (const message of continuity.warnings) post({ type: 'warn', message });
    const head = readHead(db);
    // Records committed while no writer filled the lookup (a CLI, a crash): caught up in batches.
    unindexed = Math.max(0, head.seq - lookupThrough(db));
    post({ type: 'ready', head });
  } catch (err) {
    post({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
    port.close();
    return;
  }
  port.on('message', onMessage);
  ticker = setInterval(tick, Math.max(50, Math.min(init.identityCheckMs, init.checkpoint.everySeconds * 1000)));
  if (queue.size > 0) schedule();
  if (unindexed > 0) queueLookup();
}

// Commits in this callback rather than in a later phase of the event loop (the old
// setImmediate cost a pass of the loop, two more system calls, and the answers wait for the
// commit): whatever else is queued on the port already is taken first, so it joins the same
// group. Node dispatches messages that arrive meanwhile in the same go (up to 1,000) without
// returning to the loop, so at most one commit per pass runs here: what arrives during it, or
// later in the pass, is committed in the pass's check phase (setImmediate), and the timers
// (identity tick, time-based checkpoint, WAL sync, lookup fill) run before the next pass's.
let inlinePass = false;
const endInlinePass = (): void => {
  inlinePass = false;
};

function onMessage(first: ToWriter): void {
  if (!acceptQueued(first) || state !== 'idle') return;
  if (inlinePass) return schedule();
  inlinePass = true;
  setImmediate(endInlinePass);
  pump();
  if (acceptQueued(nextQueued())) schedule();
}

const nextQueued = (): ToWriter | undefined => (receiveMessageOnPort(port) as { message: ToWriter } | undefined)?.message;

// Accepts `first` and every message queued behind it; false when there was none, or once the sink said 'finish'.
function acceptQueued(first: ToWriter | undefined): boolean {
  if (first === undefined) return false;
  for (let msg: ToWriter | undefined = first; msg !== undefined; msg = nextQueued()) {
    if (!accept(msg)) return false;
  }
  return true;
}

// False once the sink said 'finish' (this thread is done).
function accept(msg: ToWriter): boolean {
  if (Array.isArray(msg)) {
    const [ids, rows, deadline, refused] = msg;
    if (ids.length > 0) queue.pushRows(ids, rows.map(rowFromValues), deadline, rows.map(halvesFromValues));
    if (refused > 0) queue.pushGap(refused, Date.now());
    return true;
  }
  switch (msg.type) {
    case 'amend':
      for (let i = 0; i < msg.ids.length; i++) {
        const id = msg.ids[i] as number;
        if (!queue.amend(id, amendReason()) && !recentlyAmended.delete(id)) queue.pushSystem(correction(msg.requestIds[i] ?? ''));
      }
      break;
    case 'close':
      closeDeadline = msg.deadline;
      setTimeout(schedule, Math.max(0, msg.deadline - monotonicNow()));
      break;
    case 'finish':
      finish();
      return false;
  }
  return true;
}

function amendReason(): string {
  return `audit record not committed in time; client answered 503 AUDIT_UNAVAILABLE${fault ? ` (${fault.problem})` : ''}`;
}

// The commit landed just after the caller was answered 503: say so in a follow-up record.
function correction(requestId: string) {
  return systemEvent('audit.amend', {
    requestId,
    target: requestId,
    decision: 'error',
    status: 503,
    code: 'AUDIT_UNAVAILABLE',
    reason: `the record of request ${requestId} committed after its client was answered 503 AUDIT_UNAVAILABLE`,
  });
}

function schedule(): void {
  if (state !== 'idle' || finished || drained) return;
  state = 'scheduled';
  setImmediate(pump);
}

function checkIdentity(): void {
  const st = statSync(init.dbPath, { throwIfNoEntry: false });
  if (!st) throw new DatabaseReplacedError(true);
  if (st.ino !== identity.ino || st.dev !== identity.dev) throw new DatabaseReplacedError(false);
}

// The identity check runs inside the transaction, after BEGIN IMMEDIATE got the lock (which
// may wait busy_timeout): a file deleted or replaced during that wait throws here, the
// transaction rolls back, and nothing lands in the orphaned file.
function commitGroup(rows: readonly AuditRow[], halves: ReadonlyArray<ContentHalves | null>): number {
  return appendRows(db, rows, checkIdentity, halves).firstSeq;
}

function pump(): void {
  state = 'idle';
  if (finished || drained) return;
  if (dead || queue.size === 0 || (closeDeadline !== null && monotonicNow() >= closeDeadline)) {
    if (closeDeadline !== null) drain();
    return;
  }
  // While failing, an attempt may block for busy_timeout: amend now whatever will be past its
  // deadline by the time it could commit, so the record itself (not a correction) says 503.
  const amendBefore = monotonicNow() + (fault ? init.busyTimeoutMs + 50 : 0);
  const { ids, rows, halves, amended } = queue.peek(init.maxBatch, amendBefore, amendReason);
  let firstSeq: number;
  try {
    firstSeq = commitGroup(rows, halves);
  } catch (err) {
    onFault(err);
    return;
  }
  queue.shift(ids.length);
  walSync?.noteCommit();
  if (recentlyAmended.size > 10_000) recentlyAmended.clear();
  for (const id of amended) recentlyAmended.add(id);
  post([ids, firstSeq, amended]);
  failures = 0;
  if (fault) {
    fault = null;
    post({ type: 'health', healthy: true, problem: null, permanent: false });
  }
  sinceCheckpoint += ids.length;
  if (sinceCheckpoint >= init.checkpoint.everyRecords || checkpointSoon) checkpoint();
  noteCommitted(ids.length);
  // More than one group's worth was queued, or closing waits for an empty queue to drain.
  if (queue.size > 0 || closeDeadline !== null) schedule();
}

function noteCommitted(n: number): void {
  unindexed += n;
  if (unindexed >= LOOKUP_BATCH) queueLookup();
  else lookupTimer ??= setTimeout(queueLookup, LOOKUP_IDLE_MS);
}

function queueLookup(): void {
  if (lookupQueued) return;
  lookupQueued = true;
  setImmediate(runLookup);
}

function runLookup(): void {
  lookupQueued = false;
  clearTimeout(lookupTimer);
  lookupTimer = undefined;
  if (dead || finished || drained || fault || unindexed === 0) return;
  // An answer waits for each commit, nobody for the lookup: the next commit re-queues it.
  if (queue.size > 0 && unindexed < LOOKUP_MAX_LAG) return;
  try {
    const n = fillUnsynced(LOOKUP_BATCH);
    unindexed = n < LOOKUP_BATCH ? 0 : Math.max(1, unindexed - n);
    lookupWarned = false;
    if (unindexed > 0) queueLookup();
  } catch (err) {
    // Tried again later (queries read unindexed records directly meanwhile).
    lookupTimer ??= setTimeout(queueLookup, LOOKUP_IDLE_MS);
    const f = classifyStorageError(err);
    if (f.kind !== 'locked' && !lookupWarned) {
      post({ type: 'warn', message: `query lookup not filled (tried again shortly): ${f.problem}` });
      lookupWarned = true;
    }
  }
}

function onFault(err: unknown): void {
  const f = classifyStorageError(err);
  if (f.permanent) {
    dead = true;
    fault = f;
    post({ type: 'health', healthy: false, problem: f.problem, permanent: true });
    if (closeDeadline !== null) drain();
    return;
  }
  failures++;
  if (!fault || fault.problem !== f.problem) {
    fault = f;
    post({ type: 'health', healthy: false, problem: f.problem, permanent: false });
  }
  // Each attempt may already have waited busy_timeout; back off up to 1 s between attempts.
  state = 'backoff';
  setTimeout(() => {
    state = 'idle';
    schedule();
  }, Math.min(1000, 25 * 2 ** Math.min(failures, 6)));
}

// Never waits for the write lock (another connection holding it: tried again shortly), so
// queued commits are not held up. And the lookup is derived from records already
// committed, so at durability full its commit does without an fsync of its own: the WAL is
// synced in order by the next record's commit, and a lookup lost in a crash is filled again at
// the next start.
function fillUnsynced(max: number): number {
  setBusyTimeout(0);
  if (init.durability === 'full') db.pragma('synchronous = NORMAL');
  try {
    return fillLookup(db, max);
  } finally {
    if (init.durability === 'full') db.pragma('synchronous = FULL');
    if (!finished) setBusyTimeout(init.busyTimeoutMs);
  }
}

function checkpoint(): void {
  try {
    const r = writeCheckpoint(db, { signer, file: init.checkpoint.file, check: checkIdentity });
    sinceCheckpoint = 0;
    checkpointSoon = false;
    lastCheckpointAt = monotonicNow();
    if (r?.fileError) post({ type: 'warn', message: `checkpoint ${r.checkpoint.seq} not written to the checkpoint file (${r.fileError})` });
    if (r?.markerError) post({ type: 'warn', message: `checkpoint ${r.checkpoint.seq} not written to the head marker file (${r.markerError})` });
  } catch (err) {
    if (err instanceof DatabaseReplacedError) onFault(err);
    else post({ type: 'warn', message: `checkpoint failed: ${classifyStorageError(err).problem}` });
  }
}

function tick(): void {
  if (dead || finished) return;
  try {
    checkIdentity();
  } catch (err) {
    onFault(err);
    return;
  }
  if (!fault && state !== 'backoff' && monotonicNow() - lastCheckpointAt >= init.checkpoint.everySeconds * 1000) checkpoint();
}

// Close, step 1: stop committing and tell the sink. It answers 'finish' after it has handled
// every commit message and sent the amends of every append it answered 503.
function drain(): void {
  if (drained || finished) return;
  drained = true;
  clearInterval(ticker);
  post({ type: 'drained' });
}

function setBusyTimeout(ms: number): void {
  try {
    db.pragma(`busy_timeout = ${ms}`);
  } catch {
    // only shortens waits; nothing to do if it fails
  }
}

// Close, step 2. At most one more commit (amended records and audit.amend corrections) may
// wait busy_timeout (none while a fault persists); after it busy_timeout is 0, so the final checkpoint and WAL checkpoint
// never sit in a busy wait the sink's grace period does not cover (terminating a thread
// inside SQLite's busy wait aborts the whole process). The sink's grace period covers the
// deadline + 3 × busyTimeoutMs + a margin.
function finish(): void {
  if (finished) return;
  finished = true;
  clearInterval(ticker);
  if (fault) setBusyTimeout(0); // still failing: one quick try, no wait
  if (!dead && queue.size > 0) {
    const { ids, rows, halves, amended } = queue.peek(queue.size, -Infinity, amendReason);
    try {
      const firstSeq = commitGroup(rows, halves);
      queue.shift(ids.length);
      post([ids, firstSeq, amended]);
    } catch (err) {
      const f = classifyStorageError(err);
      if (f.permanent) dead = true;
      fault = f;
    }
  }
  setBusyTimeout(0);
  clearTimeout(lookupTimer);
  if (!dead && !fault) {
    try {
      // One bounded fill, so closing stays quick; the next start catches up the rest.
      fillUnsynced(8 * LOOKUP_BATCH);
    } catch {
      // the next start fills it
    }
    checkpoint();
    try {
      if (!dead) db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      post({ type: 'warn', message: `final WAL checkpoint failed: ${classifyStorageError(err).problem}` });
    }
  }
  try {
    db.close();
  } catch {
    // Closing cannot lose committed data; nothing more to do.
  }
  // 'closed' lets the sink terminate this thread: a sync still running would leave its descriptor open.
  const closed = (): void => {
    post({ type: 'closed', unwritten: queue.producerCount });
    port.close();
  };
  if (walSync) void walSync.stop().then(closed);
  else closed();
}

start();

import type { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors/gateway-error.js';
import type { AuditEventInput } from './record.js';
import type { AuditLog, AuditSinkOptions, AuditSinkStats, WorkerAuditSink } from './sink-types.js';
import { Outbox } from './sink-outbox.js';
import { Waiters, type Waiter } from './sink-waiters.js';
import { startWriter, writerInit } from './writer-start.js';
import type { CommittedMsg, FromWriter, WriterInit } from './writer-protocol.js';
import { monotonicNow } from './clock.js';

export type { AuditLog, AuditSinkOptions, AuditSinkStats, WorkerAuditSink } from './sink-types.js';

/**
 * Starts the writer thread, opens (and migrates) the database and resolves once it is
 * ready. Rejects when the database or signing key cannot be used: refuse to start.
 *
 * append() resolves with the record's seq after its group commit landed, or rejects with
 * GatewayError AUDIT_UNAVAILABLE (after at most commitWaitMs, or at once when the queue is
 * full or the store failed for good). Call close() on shutdown.
 *
 * Health: healthy() is false while the store cannot commit (storage fault, dead writer,
 * full queue) and also once close() has begun (problem() then says "audit store is
 * closing"), so readiness fails and no new governed request proceeds during shutdown.
 * onHealthChange, however, fires only for real health transitions: closing is NOT
 * reported through it, so a clean shutdown never logs "audit store unhealthy". A fault
 * that happens while closing (e.g. the writer crashes) is still reported.
 */
export async function createAuditSink(opts: AuditSinkOptions): Promise<WorkerAuditSink> {
  const init = writerInit(opts);
  const { worker, head, warnings } = await startWriter(init, opts.writerUrl);
  for (const problem of warnings) opts.log?.warn({ problem }, 'audit writer warning');
  return new Sink(worker, init, opts, head.seq);
}

class Sink implements WorkerAuditSink {
  readonly #worker: Worker;
  readonly #commitWaitMs: number;
  readonly #maxPending: number;
  readonly #busyTimeoutMs: number;
  readonly #log: AuditLog | undefined;
  readonly #onHealthChange: AuditSinkOptions['onHealthChange'];
  readonly #waiting = new Waiters((expired) => this.#onExpired(expired));
  readonly #outbox: Outbox;
  #nextId = 1;
  #queued = 0;
  #fault: string | null = null;
  #dead: string | null = null;
  #closing = false;
  #exited = false;
  #closePromise: Promise<void> | null = null;
  #onClosed: ((unwritten: number) => void) | null = null;
  #reported: boolean = true;
  #stats = { committed: 0, groups: 0, lastSeq: 0, refused: 0, timedOut: 0 };

  constructor(worker: Worker, init: WriterInit, opts: AuditSinkOptions, headSeq: number) {
    this.#worker = worker;
    this.#commitWaitMs = opts.commitWaitMs ?? 5000;
    this.#maxPending = opts.maxPending ?? 100_000;
    this.#busyTimeoutMs = init.busyTimeoutMs;
    this.#log = opts.log;
    this.#onHealthChange = opts.onHealthChange;
    this.#stats.lastSeq = headSeq;
    this.#outbox = new Outbox(
      worker,
      (ids) => this.#dropUndelivered(ids),
      (err) => this.#log?.error({ err }, 'cannot message the audit writer'),
    );
    worker.on('message', (m: FromWriter) => this.#onMessage(m));
    worker.on('error', (err) => {
      this.#log?.error({ err }, 'audit writer thread crashed');
      this.#die('audit writer thread crashed');
    });
    worker.on('exit', (code) => {
      this.#exited = true;
      if (!this.#closing) this.#die(`audit writer thread exited (code ${code})`);
      this.#onClosed?.(0);
    });
    worker.unref(); // referenced only while appends wait, so an idle sink never holds the process open
  }

  append(event: AuditEventInput): Promise<number> {
    if (this.#dead !== null || this.#closing) {
      return Promise.reject(this.#unavailable(this.#dead ?? 'audit store is closing'));
    }
    if (this.#queued >= this.#maxPending) {
      this.#stats.refused++;
      this.#outbox.refuse();
      this.#reportHealth();
      return Promise.reject(this.#unavailable('audit queue is full'));
    }
    const id = this.#nextId++;
    const deadline = monotonicNow() + this.#commitWaitMs;
    this.#outbox.push(id, event, deadline);
    this.#queued++;
    if (this.#waiting.size === 0) this.#worker.ref();
    return new Promise<number>((resolve, reject) => {
      this.#waiting.add(id, { resolve, reject, deadline, requestId: event.requestId });
    });
  }

  healthy(): boolean {
    return this.#faultProblem() === null && !this.#closing;
  }

  problem(): string | null {
    return this.#faultProblem() ?? (this.#closing ? 'audit store is closing' : null);
  }

  // Why the store cannot commit, ignoring a close in progress (which is not a fault).
  #faultProblem(): string | null {
    if (this.#dead !== null) return this.#dead;
    if (this.#fault !== null) return this.#fault;
    if (this.#queued >= this.#maxPending) return `audit queue is full (${this.#queued} records waiting to commit)`;
    return null;
  }

  stats(): AuditSinkStats {
    return { ...this.#stats, queued: this.#queued, waiting: this.#waiting.size };
  }

  flush(): Promise<void> {
    this.#outbox.flush();
    return this.#waiting.whenSettled(this.#nextId - 1);
  }

  close(opts: { deadlineMs?: number } = {}): Promise<void> {
    this.#closePromise ??= this.#doClose(opts.deadlineMs ?? this.#commitWaitMs);
    return this.#closePromise;
  }

  async #doClose(deadlineMs: number): Promise<void> {
    this.#outbox.flush();
    this.#closing = true; // healthy() is false from here on; not reported as a health change
    if (!this.#exited) {
      this.#worker.ref();
      const closed = new Promise<number>((resolve) => (this.#onClosed = resolve));
      this.#outbox.post({ type: 'close', deadline: monotonicNow() + deadlineMs });
      let timer: NodeJS.Timeout | undefined;
      // The writer may be in one commit attempt when the deadline passes, makes one more commit
      // after 'finish' (amended records), and may back off up to 1 s in between: terminating it
      // earlier could hit SQLite inside a busy wait, which aborts the whole process.
      const grace = new Promise<null>((resolve) => (timer = setTimeout(resolve, deadlineMs + 3 * this.#busyTimeoutMs + 2000, null)));
      const unwritten = await Promise.race([closed, grace]);
      clearTimeout(timer);
      if (unwritten === null) this.#log?.error({}, 'audit writer did not close in time; terminating it');
      else if (unwritten > 0) this.#log?.error({ unwritten }, 'audit records could not be committed before close');
    }
    this.#failAll('audit store closed');
    this.#waiting.stopTimer();
    await this.#worker.terminate();
  }

  #onMessage(m: FromWriter): void {
    if (Array.isArray(m)) {
      this.#onCommitted(m);
      return;
    }
    switch (m.type) {
      case 'health':
        if (m.permanent) this.#die(m.problem ?? 'audit store failed');
        else this.#fault = m.healthy ? null : m.problem;
        if (!m.healthy) this.#log?.error({ problem: m.problem }, 'audit store cannot commit; governed requests fail closed');
        this.#reportHealth();
        break;
      case 'warn':
        this.#log?.warn({ problem: m.message }, 'audit writer warning');
        break;
      case 'drained':
        this.#onDrained();
        break;
      case 'closed':
        this.#onClosed?.(m.unwritten);
        break;
      default:
        break;
    }
  }

  #onCommitted([ids, firstSeq, amendedIds]: CommittedMsg): void {
    const amended = amendedIds.length > 0 ? new Set(amendedIds) : null;
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k] as number;
      if (id === 0) continue;
      this.#queued--;
      const w = this.#waiting.take(id);
      if (w === undefined) continue; // already answered (timed out)
      if (amended?.has(id)) {
        this.#stats.timedOut++;
        w.reject(this.#unavailable(this.#fault ?? 'audit record not committed in time'));
      } else w.resolve(firstSeq + k);
    }
    this.#stats.committed += ids.length;
    this.#stats.groups++;
    this.#stats.lastSeq = firstSeq + ids.length - 1;
    this.#afterSettle();
  }

  // Close, step 2: every committed message the writer sent before 'drained' has been handled
  // (one port, in order), and so has every amend of an append answered 503 by then. Appends
  // still waiting were not committed in time: answer them 503 too and have the writer amend
  // them, then let it finish. So no client answered 503 is left with a 200 record.
  #onDrained(): void {
    const rest = this.#waiting.takeAllEntries();
    this.#queued = 0;
    for (const [, w] of rest) {
      this.#stats.timedOut++;
      w.reject(this.#unavailable('audit store closed before the record was committed'));
    }
    if (rest.length > 0) this.#outbox.post({ type: 'amend', ids: rest.map(([id]) => id), requestIds: rest.map(([, w]) => w.requestId) });
    this.#afterSettle();
    this.#outbox.post({ type: 'finish' });
  }

  #dropUndelivered(ids: number[]): void {
    for (const id of ids) {
      this.#queued--;
      this.#waiting.take(id)?.reject(this.#unavailable('audit record could not be sent to the writer thread'));
    }
    this.#afterSettle();
  }

  // Their callers are answered 503 now; the writer amends the records (or adds a correction).
  #onExpired(expired: Array<[number, Waiter]>): void {
    if (expired.length > 0) {
      for (const [, w] of expired) {
        this.#stats.timedOut++;
        w.reject(this.#unavailable(this.#fault ?? 'audit record not committed in time'));
      }
      // The amend must follow the records it names, and name only records the writer got: for
      // one it never got, it would record a correction saying the record committed.
      const unsent = this.#outbox.flush();
      const sent = unsent.length === 0 ? expired : expired.filter(([id]) => !unsent.includes(id));
      if (sent.length > 0) this.#outbox.post({ type: 'amend', ids: sent.map(([id]) => id), requestIds: sent.map(([, w]) => w.requestId) });
    }
    this.#afterSettle();
  }

  #afterSettle(): void {
    this.#waiting.settled();
    if (this.#waiting.size === 0 && !this.#closing) this.#worker.unref();
    this.#reportHealth();
  }

  #die(problem: string): void {
    if (this.#dead === null) this.#dead = problem;
    this.#failAll(problem);
    this.#reportHealth();
  }

  #failAll(problem: string): void {
    this.#outbox.discard();
    const waiting = this.#waiting.takeAll();
    this.#queued = 0;
    for (const w of waiting) w.reject(this.#unavailable(problem));
    this.#afterSettle();
  }

  // Reports fault transitions only: a close in progress is deliberately not one (see createAuditSink).
  #reportHealth(): void {
    const problem = this.#faultProblem();
    const ok = problem === null;
    if (ok === this.#reported) return;
    this.#reported = ok;
    this.#onHealthChange?.(ok, problem);
  }

  #unavailable(problem: string): GatewayError {
    // The client sees a generic message; the cause (for the log) says why.
    return new GatewayError('AUDIT_UNAVAILABLE', 'The audit trail cannot record this request right now', { cause: problem });
  }
}

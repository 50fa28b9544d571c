import type { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors/gateway-error.js';
import type { AuditEventInput } from './record.js';
import type { AuditLog, AuditSinkOptions, AuditSinkStats, WorkerAuditSink } from './sink-types.js';
import { startWriter, writerInit } from './writer-start.js';
import type { FromWriter, ToWriter, WriterInit } from './writer-protocol.js';

export type { AuditLog, AuditSinkOptions, AuditSinkStats, WorkerAuditSink } from './sink-types.js';

/**
 * Starts the writer thread, opens (and migrates) the database and resolves once it is
 * ready. Rejects when the database or signing key cannot be used: refuse to start.
 *
 * append() resolves with the record's seq after its group commit landed, or rejects with
 * GatewayError AUDIT_UNAVAILABLE (after at most commitWaitMs, or at once when the queue is
 * full or the store failed for good). Call close() on shutdown.
 */
export async function createAuditSink(opts: AuditSinkOptions): Promise<WorkerAuditSink> {
  const init = writerInit(opts);
  const { worker, head } = await startWriter(init, opts.writerUrl);
  return new Sink(worker, init, opts, head.seq);
}

interface Waiter {
  resolve(seq: number): void;
  reject(err: GatewayError): void;
  deadline: number;
  requestId: string;
}

class Sink implements WorkerAuditSink {
  readonly #worker: Worker;
  readonly #commitWaitMs: number;
  readonly #maxPending: number;
  readonly #busyTimeoutMs: number;
  readonly #log: AuditLog | undefined;
  readonly #onHealthChange: AuditSinkOptions['onHealthChange'];
  readonly #waiting = new Map<number, Waiter>();
  #nextId = 1;
  #queued = 0;
  #bufIds: number[] = [];
  #bufEvents: AuditEventInput[] = [];
  #bufDeadline = 0;
  #refusedUnreported = 0;
  #flushScheduled = false;
  #timer: NodeJS.Timeout | null = null;
  #fault: string | null = null;
  #dead: string | null = null;
  #closing = false;
  #exited = false;
  #closePromise: Promise<void> | null = null;
  #onClosed: ((unwritten: number) => void) | null = null;
  #reported: boolean = true;
  #flushWaiters: Array<{ upto: number; resolve: () => void }> = [];
  #stats = { committed: 0, lastSeq: 0, refused: 0, timedOut: 0 };

  constructor(worker: Worker, init: WriterInit, opts: AuditSinkOptions, headSeq: number) {
    this.#worker = worker;
    this.#commitWaitMs = opts.commitWaitMs ?? 5000;
    this.#maxPending = opts.maxPending ?? 100_000;
    this.#busyTimeoutMs = init.busyTimeoutMs;
    this.#log = opts.log;
    this.#onHealthChange = opts.onHealthChange;
    this.#stats.lastSeq = headSeq;
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
      this.#refusedUnreported++;
      this.#scheduleFlush();
      this.#reportHealth();
      return Promise.reject(this.#unavailable('audit queue is full'));
    }
    const id = this.#nextId++;
    const deadline = Date.now() + this.#commitWaitMs;
    if (this.#bufIds.length === 0) this.#bufDeadline = deadline;
    this.#bufIds.push(id);
    this.#bufEvents.push(event); // the sink owns the event from here on: no defensive copy
    this.#queued++;
    this.#scheduleFlush();
    if (this.#waiting.size === 0) this.#worker.ref();
    return new Promise<number>((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject, deadline, requestId: event.requestId });
      if (this.#timer === null) this.#armTimer();
    });
  }

  healthy(): boolean {
    return this.#dead === null && this.#fault === null && !this.#closing && this.#queued < this.#maxPending;
  }

  problem(): string | null {
    if (this.#dead !== null) return this.#dead;
    if (this.#fault !== null) return this.#fault;
    if (this.#closing) return 'audit store is closing';
    if (this.#queued >= this.#maxPending) return `audit queue is full (${this.#queued} records waiting to commit)`;
    return null;
  }

  stats(): AuditSinkStats {
    return { ...this.#stats, queued: this.#queued, waiting: this.#waiting.size };
  }

  flush(): Promise<void> {
    this.#flushBuffer();
    if (this.#waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#flushWaiters.push({ upto: this.#nextId - 1, resolve }));
  }

  close(opts: { deadlineMs?: number } = {}): Promise<void> {
    this.#closePromise ??= this.#doClose(opts.deadlineMs ?? this.#commitWaitMs);
    return this.#closePromise;
  }

  async #doClose(deadlineMs: number): Promise<void> {
    this.#flushBuffer();
    this.#closing = true;
    this.#reportHealth();
    if (!this.#exited) {
      this.#worker.ref();
      const closed = new Promise<number>((resolve) => (this.#onClosed = resolve));
      this.#post({ type: 'close', deadline: Date.now() + deadlineMs });
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise<null>((resolve) => (timer = setTimeout(resolve, deadlineMs + this.#busyTimeoutMs + 2000, null)));
      const unwritten = await Promise.race([closed, grace]);
      clearTimeout(timer);
      if (unwritten === null) this.#log?.error({}, 'audit writer did not close in time; terminating it');
      else if (unwritten > 0) this.#log?.error({ unwritten }, 'audit records could not be committed before close');
    }
    this.#failAll('audit store closed');
    if (this.#timer) clearTimeout(this.#timer);
    await this.#worker.terminate();
  }

  #onMessage(m: FromWriter): void {
    switch (m.type) {
      case 'committed': {
        const amended = m.amended.length > 0 ? new Set(m.amended) : null;
        for (let k = 0; k < m.ids.length; k++) {
          const id = m.ids[k] as number;
          if (id === 0) continue;
          this.#queued--;
          const w = this.#waiting.get(id);
          if (w === undefined) continue; // already answered (timed out)
          this.#waiting.delete(id);
          if (amended?.has(id)) {
            this.#stats.timedOut++;
            w.reject(this.#unavailable(this.#fault ?? 'audit record not committed in time'));
          } else w.resolve(m.firstSeq + k);
        }
        this.#stats.committed += m.ids.length;
        this.#stats.lastSeq = m.firstSeq + m.ids.length - 1;
        this.#afterSettle();
        break;
      }
      case 'health':
        if (m.permanent) this.#die(m.problem ?? 'audit store failed');
        else this.#fault = m.healthy ? null : m.problem;
        if (!m.healthy) this.#log?.error({ problem: m.problem }, 'audit store cannot commit; governed requests fail closed');
        this.#reportHealth();
        break;
      case 'warn':
        this.#log?.warn({ problem: m.message }, 'audit writer warning');
        break;
      case 'closed':
        this.#onClosed?.(m.unwritten);
        break;
      default:
        break;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    setImmediate(() => this.#flushBuffer()); // gathers every append made in this turn of the loop
  }

  #flushBuffer(): void {
    this.#flushScheduled = false;
    if (this.#bufIds.length === 0 && this.#refusedUnreported === 0) return;
    const msg: ToWriter = { type: 'append', ids: this.#bufIds, events: this.#bufEvents, deadline: this.#bufDeadline, refused: this.#refusedUnreported };
    this.#bufIds = [];
    this.#bufEvents = [];
    this.#refusedUnreported = 0;
    try {
      this.#worker.postMessage(msg);
    } catch {
      this.#postOneByOne(msg);
    }
  }

  // postMessage refuses the whole batch if one event cannot be cloned (a function in details).
  #postOneByOne(msg: Extract<ToWriter, { type: 'append' }>): void {
    this.#post({ ...msg, ids: [], events: [] });
    for (let i = 0; i < msg.ids.length; i++) {
      const id = msg.ids[i] as number;
      try {
        this.#worker.postMessage({ ...msg, ids: [id], events: [msg.events[i]], refused: 0 });
      } catch {
        this.#queued--;
        const w = this.#waiting.get(id);
        this.#waiting.delete(id);
        w?.reject(this.#unavailable('audit record is not serializable'));
      }
    }
    this.#afterSettle();
  }

  #post(msg: ToWriter): void {
    try {
      this.#worker.postMessage(msg);
    } catch (err) {
      this.#log?.error({ err }, 'cannot message the audit writer');
    }
  }

  // One timer for the oldest waiter: all share commitWaitMs, so insertion order is deadline order.
  #armTimer(): void {
    const first = this.#waiting.values().next();
    if (first.done) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.value.deadline - Date.now()));
  }

  #expire(): void {
    this.#timer = null;
    const now = Date.now();
    const ids: number[] = [];
    const requestIds: string[] = [];
    for (const [id, w] of this.#waiting) {
      if (w.deadline > now) break;
      this.#waiting.delete(id);
      ids.push(id);
      requestIds.push(w.requestId);
      this.#stats.timedOut++;
      w.reject(this.#unavailable(this.#fault ?? 'audit record not committed in time'));
    }
    if (ids.length > 0) {
      this.#flushBuffer(); // the amend must follow the records it names
      this.#post({ type: 'amend', ids, requestIds });
    }
    this.#afterSettle();
  }

  #afterSettle(): void {
    if (this.#timer === null) this.#armTimer();
    if (this.#waiting.size === 0) {
      if (this.#timer) clearTimeout(this.#timer);
      this.#timer = null;
      if (!this.#closing) this.#worker.unref();
    }
    if (this.#flushWaiters.length > 0) {
      const first = this.#waiting.keys().next();
      const oldest = first.done ? Infinity : first.value;
      this.#flushWaiters = this.#flushWaiters.filter((w) => (w.upto < oldest ? (w.resolve(), false) : true));
    }
    this.#reportHealth();
  }

  #die(problem: string): void {
    if (this.#dead === null) this.#dead = problem;
    this.#failAll(problem);
    this.#reportHealth();
  }

  #failAll(problem: string): void {
    this.#bufIds = [];
    this.#bufEvents = [];
    const waiting = [...this.#waiting.values()];
    this.#waiting.clear();
    this.#queued = 0;
    for (const w of waiting) w.reject(this.#unavailable(problem));
    this.#afterSettle();
  }

  #reportHealth(): void {
    const ok = this.healthy();
    if (ok === this.#reported) return;
    this.#reported = ok;
    this.#onHealthChange?.(ok, this.problem());
  }

  #unavailable(problem: string): GatewayError {
    // The client sees a generic message; the cause (for the log) says why.
    return new GatewayError('AUDIT_UNAVAILABLE', 'The audit trail cannot record this request right now', { cause: problem });
  }
}

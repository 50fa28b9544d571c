import type { Worker } from 'node:worker_threads';
import { contentHalves, safeRow } from './chain.js';
import type { AuditEventInput } from './record.js';
import { rowValues, type RowValues } from './row-values.js';
import type { AppendMsg, ToWriter } from './writer-protocol.js';

const NONE: readonly number[] = [];

/**
 * The sink's side of the channel to the writer thread: appends made in one turn of the
 * event loop (and the count of refused ones) are sent as one message.
 */
export class Outbox {
  readonly #worker: Worker;
  readonly #onUndelivered: (ids: number[]) => void;
  readonly #onPostError: (err: unknown) => void;
  #ids: number[] = [];
  #events: AuditEventInput[] = [];
  #deadline = 0;
  #refused = 0;
  #scheduled = false;

  /**
   * `onUndelivered` gets the ids of appends that could not be sent to the thread (dropped:
   * their callers must be answered); `onPostError` every send failure.
   */
  constructor(worker: Worker, onUndelivered: (ids: number[]) => void, onPostError: (err: unknown) => void) {
    this.#worker = worker;
    this.#onUndelivered = onUndelivered;
    this.#onPostError = onPostError;
  }

  /** Buffers an append; `deadline` (monotonicNow() ms) of the first one in a message is the message's. */
  push(id: number, event: AuditEventInput, deadline: number): void {
    if (this.#ids.length === 0) this.#deadline = deadline;
    this.#ids.push(id);
    this.#events.push(event); // the sink owns the event from here on: no defensive copy
    this.#schedule();
  }

  /** Counts an append refused because the queue was full (the writer records an audit.gap). */
  refuse(): void {
    this.#refused++;
    this.#schedule();
  }

  /** Drops buffered appends (their callers are answered by the sink). */
  discard(): void {
    this.#ids = [];
    this.#events = [];
  }

  /**
   * Sends what is buffered now, normalized here (safeRow: never throws) with the text its hash
   * covers, so the writer thread, whose work each answer waits for, only hashes and inserts: a
   * row is strings and numbers, which always clone. Should the send fail all the same, its
   * callers are answered. Returns the ids that could not be sent (empty almost always).
   */
  flush(): readonly number[] {
    this.#scheduled = false;
    if (this.#ids.length === 0 && this.#refused === 0) return NONE;
    // Taken first: normalizing runs the records' own toJSON, which must not see (or resend) them.
    const ids = this.#ids;
    const events = this.#events;
    const refused = this.#refused;
    this.#ids = [];
    this.#events = [];
    this.#refused = 0;
    // Pushed, not `new Array(n)`: a holey array is cloned as a sparse one, key by key.
    const rows: RowValues[] = [];
    for (const e of events) {
      const row = safeRow(e);
      rows.push(rowValues(row, contentHalves(row)));
    }
    try {
      this.#worker.postMessage([ids, rows, this.#deadline, refused] satisfies AppendMsg);
    } catch (err) {
      this.#onPostError(err);
      this.#onUndelivered(ids);
      // The refusals still get their audit.gap record if anything can reach the writer.
      if (refused > 0) this.post([[], [], this.#deadline, refused]);
      return ids;
    }
    return NONE;
  }

  /** Sends a control message; failures go to onPostError. */
  post(msg: ToWriter): void {
    try {
      this.#worker.postMessage(msg);
    } catch (err) {
      this.#onPostError(err);
    }
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => this.flush()); // gathers every append made in this turn of the loop
  }
}

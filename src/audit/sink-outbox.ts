import type { Worker } from 'node:worker_threads';
import type { AuditEventInput } from './record.js';
import type { ToWriter } from './writer-protocol.js';

type AppendMsg = Extract<ToWriter, { type: 'append' }>;

/**
 * The sink's side of the channel to the writer thread: appends made in one turn of the
 * event loop (and the count of refused ones) are sent as one message.
 */
export class Outbox {
  readonly #worker: Worker;
  readonly #onUnserializable: (ids: number[]) => void;
  readonly #onPostError: (err: unknown) => void;
  #ids: number[] = [];
  #events: AuditEventInput[] = [];
  #deadline = 0;
  #refused = 0;
  #scheduled = false;

  /**
   * `onUnserializable` gets the ids of appends whose event could not be cloned to the
   * thread (dropped: their callers must be answered); `onPostError` any other send failure.
   */
  constructor(worker: Worker, onUnserializable: (ids: number[]) => void, onPostError: (err: unknown) => void) {
    this.#worker = worker;
    this.#onUnserializable = onUnserializable;
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

  /** Sends what is buffered now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#ids.length === 0 && this.#refused === 0) return;
    const msg: AppendMsg = { type: 'append', ids: this.#ids, events: this.#events, deadline: this.#deadline, refused: this.#refused };
    this.#ids = [];
    this.#events = [];
    this.#refused = 0;
    try {
      // One string instead of a structured clone of every record (plain data by contract);
      // anything JSON cannot carry (a BigInt) falls back to cloning, one by one.
      // Spelled out, not `{ ...msg, eventsJson }`: see util/merged.ts.
      const json: AppendMsg = { type: 'append', ids: msg.ids, events: [], eventsJson: JSON.stringify(msg.events), deadline: msg.deadline, refused: msg.refused };
      this.#worker.postMessage(json);
    } catch {
      this.#postOneByOne(msg);
    }
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

  // postMessage refuses the whole batch if one event cannot be cloned (a function in details).
  #postOneByOne(msg: AppendMsg): void {
    this.post({ ...msg, ids: [], events: [] });
    const failed: number[] = [];
    for (let i = 0; i < msg.ids.length; i++) {
      const id = msg.ids[i] as number;
      try {
        this.#worker.postMessage({ ...msg, ids: [id], events: [msg.events[i]], refused: 0 });
      } catch {
        failed.push(id);
      }
    }
    this.#onUnserializable(failed);
  }
}

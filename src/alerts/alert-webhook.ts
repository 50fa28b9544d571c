/**
 * The optional webhook for alert events. The audit record and the log line of an alert
 * are written by whoever raises it; this only POSTs the event, off the request path.
 *
 * Events go out one at a time, in the order they were sent: receivers see thresholds in
 * the order they were crossed, and one slow receiver costs one connection. The price is
 * head-of-line blocking: an event being retried holds back the ones behind it (at most
 * maxAttempts x (timeoutMs + backoff)), and while it does the bounded queue may fill and
 * drop new events, which are counted and logged.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Egress, EgressRequest, EgressTarget } from '../egress/index.js';
import { backoffMs } from '../llm/routing/backoff.js';
import { GATEWAY_VERSION } from '../version.js';
import { errorOutcome, responseOutcome, type DeliveryOutcome } from './delivery-outcome.js';
import type { WebhookConfig } from './webhook-config.js';

export interface AlertEvent {
  /** e.g. 'budget.threshold', 'budget.overrun', 'loop.trip' */
  type: string;
  /** ISO 8601 */
  time: string;
  agentId: string | null;
  [k: string]: unknown;
}

export interface AlertWebhookDeps {
  /** Shared; the webhook never closes it (close the webhook first at shutdown). */
  egress: Egress;
  log: Logger;
  /** The wait between attempts (tests inject one); default: an unref'd timer. */
  sleep?: (ms: number) => Promise<void>;
  /** Uniform in [0, 1), for the backoff jitter. */
  random?: () => number;
  /** Wall-clock ms: the once-a-minute drop log and Retry-After dates. */
  now?: () => number;
}

const BACKOFF_BASE_MS = 500;
const BACKOFF_CAP_MS = 30_000;
/** A receiver may ask for a longer pause than the backoff cap, but not hold the queue for hours. */
const RETRY_AFTER_CAP_MS = 5 * 60_000;
const DROP_LOG_INTERVAL_MS = 60_000;
/** Receivers answer with a short acknowledgement; the body is read only to free the connection. */
const MAX_RESPONSE_BYTES = 64 * 1024;

interface QueuedEvent {
  type: string;
  /** The idempotency key: one per event, the same on every attempt, so receivers can drop repeats. */
  key: string;
  /** Serialized at send(): the event as it was then, whatever the caller does with the object later. */
  body: string;
}

/** A timer that keeps no process alive: drain() is what waits for deliveries at shutdown. */
const unrefSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export class AlertWebhook {
  readonly #cfg: WebhookConfig;
  readonly #egress: Egress;
  readonly #log: Logger;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #target: EgressTarget;
  readonly #path: string;
  /** For log lines: the URL's path and query may hold a token (as Slack's and Discord's do). */
  readonly #origin: string;
  readonly #headers: Record<string, string>;

  /** Head first; the head is the event being delivered. */
  readonly #queue: QueuedEvent[] = [];
  #running = false;
  #closed = false;
  #inFlight: AbortController | undefined;
  readonly #closing: Promise<void>;
  #onClose!: () => void;
  readonly #drainWaiters = new Set<(emptied: boolean) => void>();

  #delivered = 0;
  #failed = 0;
  #dropped = 0;
  #lastDropLog = -Infinity;
  #dropsSinceLog = 0;

  /** Throws on a URL that is not http(s) (the schema has refused it already). */
  constructor(cfg: WebhookConfig, deps: AlertWebhookDeps) {
    const url = new URL(cfg.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError('the alert webhook URL must be http(s)');
    this.#cfg = cfg;
    this.#egress = deps.egress;
    this.#log = deps.log.child({ component: 'alert-webhook' });
    this.#sleep = deps.sleep ?? unrefSleep;
    this.#random = deps.random ?? Math.random;
    this.#now = deps.now ?? Date.now;
    this.#origin = url.origin;
    this.#path = url.pathname + url.search;
    this.#target = { origin: url.origin, internal: cfg.internal, connections: 1 };
    this.#headers = {};
    for (const [name, value] of Object.entries(cfg.headers)) this.#headers[name.toLowerCase()] = value;
    this.#headers['content-type'] = 'application/json';
    this.#headers['user-agent'] = `warden/${GATEWAY_VERSION}`;
    this.#closing = new Promise((resolve) => (this.#onClose = resolve));
  }

  /** Queues the event; never throws, never waits. Drops (and counts, and logs once per minute) when the queue is full or the webhook closed. */
  send(event: AlertEvent): void {
    try {
      if (this.#closed || this.#queue.length >= this.#cfg.maxQueue) {
        this.#drop(this.#closed ? 'closed' : 'queue full');
        return;
      }
      let body: string;
      try {
        body = JSON.stringify(event);
      } catch (err) {
        this.#failed++;
        this.#log.warn({ alert: String(event.type), reason: err instanceof Error ? err.name : 'error' }, 'alert event cannot be serialized as JSON; not sent');
        return;
      }
      this.#queue.push({ type: String(event.type), key: randomUUID(), body });
      if (!this.#running) {
        this.#running = true;
        // Started on a microtask so the caller never pays for (or sees) the first attempt.
        queueMicrotask(() => void this.#run());
      }
    } catch {
      // An alert must never break the request that raised it.
    }
  }

  /** Events queued or being delivered. */
  get pending(): number {
    return this.#queue.length;
  }
  /** Events refused by a full queue, sent after close(), or abandoned by close(). */
  get dropped(): number {
    return this.#dropped;
  }
  get delivered(): number {
    return this.#delivered;
  }
  /** Events refused by the receiver, out of attempts, or not serializable. */
  get failed(): number {
    return this.#failed;
  }

  /** Resolves true once the queue is empty, false after `timeoutMs` or when close() abandons events (used at shutdown and in tests). */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.#queue.length === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const settle = (emptied: boolean) => {
        clearTimeout(timer);
        this.#drainWaiters.delete(settle);
        resolve(emptied);
      };
      // Not unref'd: at shutdown this timer is what keeps the process waiting for deliveries.
      const timer = setTimeout(() => settle(false), timeoutMs);
      this.#drainWaiters.add(settle);
    });
  }

  /** Stops delivering: aborts the attempt in flight, abandons the queue (counted as dropped) and drops later sends. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const abandoned = this.#queue.length;
    this.#queue.length = 0;
    this.#dropped += abandoned;
    this.#inFlight?.abort(new Error('alert webhook closed'));
    this.#onClose();
    if (abandoned > 0) this.#log.warn({ origin: this.#origin, abandoned }, 'alert webhook closed with events undelivered');
    this.#settleDrains(abandoned === 0);
  }

  async #run(): Promise<void> {
    try {
      for (let event = this.#queue[0]; event !== undefined && !this.#closed; event = this.#queue[0]) {
        await this.#deliver(event);
        if (this.#closed) return;
        this.#queue.shift();
      }
      this.#settleDrains(true);
    } catch (err) {
      // Unreachable by design (#deliver catches); if it happens, do not leave the queue stuck silently.
      this.#log.error({ reason: err instanceof Error ? err.name : 'error' }, 'alert webhook worker stopped');
    } finally {
      this.#running = false;
    }
  }

  async #deliver(event: QueuedEvent): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.#attempt(event);
      if (this.#closed) return;
      if (outcome.kind === 'delivered') {
        this.#delivered++;
        this.#log.debug({ origin: this.#origin, alert: event.type, attempts: attempt, status: outcome.status }, 'alert webhook delivered');
        return;
      }
      if (outcome.kind === 'failed' || attempt >= this.#cfg.maxAttempts) {
        this.#failed++;
        const msg = outcome.kind === 'failed' ? 'alert webhook refused the event; not retried' : 'alert webhook failed; out of attempts';
        this.#log.warn({ origin: this.#origin, alert: event.type, attempts: attempt, reason: outcome.reason }, msg);
        return;
      }
      const waitMs = this.#retryDelay(outcome, attempt);
      this.#log.debug({ origin: this.#origin, alert: event.type, attempt, reason: outcome.reason, waitMs: Math.round(waitMs) }, 'alert webhook attempt failed; retrying');
      try {
        await Promise.race([this.#sleep(waitMs), this.#closing]);
      } catch {
        // A failing injected sleep must not end the worker; retry at once.
      }
      if (this.#closed) return;
    }
  }

  async #attempt(event: QueuedEvent): Promise<DeliveryOutcome> {
    const abort = new AbortController();
    this.#inFlight = abort;
    const ms = this.#cfg.timeoutMs;
    const req: EgressRequest = {
      method: 'POST',
      path: this.#path,
      headers: { ...this.#headers, 'idempotency-key': event.key },
      body: event.body,
      signal: abort.signal,
      timeouts: { connectMs: ms, firstByteMs: ms, totalMs: ms },
      maxBytes: MAX_RESPONSE_BYTES,
      redirects: 'none',
    };
    try {
      const res = await this.#egress.request(this.#target, req);
      return responseOutcome(res.status, res.headers, this.#now());
    } catch (err) {
      return errorOutcome(err);
    } finally {
      this.#inFlight = undefined;
    }
  }

  /** The receiver's Retry-After when it gave one, else full-jitter exponential backoff (`attempt` 1 = the first retry). */
  #retryDelay(outcome: DeliveryOutcome & { kind: 'retry' }, attempt: number): number {
    if (outcome.retryAfterMs !== undefined) return Math.min(outcome.retryAfterMs, RETRY_AFTER_CAP_MS);
    return backoffMs(attempt, { baseMs: BACKOFF_BASE_MS, capMs: BACKOFF_CAP_MS, random: this.#random });
  }

  #drop(why: 'queue full' | 'closed'): void {
    this.#dropped++;
    this.#dropsSinceLog++;
    const now = this.#now();
    if (now - this.#lastDropLog < DROP_LOG_INTERVAL_MS) return;
    this.#log.warn(
      { origin: this.#origin, why, droppedSinceLastLog: this.#dropsSinceLog, droppedTotal: this.#dropped, maxQueue: this.#cfg.maxQueue },
      'alert webhook dropped events',
    );
    this.#lastDropLog = now;
    this.#dropsSinceLog = 0;
  }

  #settleDrains(emptied: boolean): void {
    for (const settle of [...this.#drainWaiters]) settle(emptied);
  }
}

import type { Logger } from 'pino';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcNotification } from '../jsonrpc.js';
import type { UpstreamResponse } from './types.js';

/**
 * The one `subscriptions/listen` request (2026-07-28) kept open to a modern upstream: the
 * list_changed kinds its capabilities announce, and `resourceSubscriptions` = the upstream
 * URIs the gateway currently subscribes to. A listen request's filter cannot be changed, so
 * a new set opens a new stream and the old one is cancelled once the new one is
 * acknowledged (make before break: no update is missed in between). A stream that drops is
 * opened again with back-off; one on which the upstream honoured nothing is not, until the
 * wanted set changes.
 */
export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

export interface ListenStreamOptions {
  upstreamId: string;
  log: Logger;
  /** How long the upstream may take to acknowledge a stream before it is given up and retried. */
  ackTimeoutMs: number;
  retry: { initialDelayMs: number; maxDelayMs: number };
  /** Sends the long-lived request; settles only when the stream ends (result, error or failure). */
  send: (params: Record<string, unknown>, opts: { signal: AbortSignal; onNotification: (n: JsonRpcNotification) => void }) => Promise<UpstreamResponse>;
}

/** Whether the stream that covers a subscription (at least as new as it) took its URI. */
export type SubscriptionOutcome = 'honored' | 'refused';

interface Stream {
  readonly gen: number;
  readonly ac: AbortController;
  ackTimer: NodeJS.Timeout | undefined;
  honored: ListenFilter | null;
}

interface Waiter {
  gen: number;
  uri: string;
  resolve: (o: SubscriptionOutcome) => void;
  reject: (e: GatewayError) => void;
  timer: NodeJS.Timeout | undefined;
}

const ACK_METHOD = 'notifications/subscriptions/acknowledged';
const METHOD_NOT_FOUND = -32601;

export class ListenStream {
  readonly #opts: ListenStreamOptions;
  readonly #uris = new Set<string>();
  #caps: Record<string, unknown> | null = null;
  /** Bumps whenever the wanted filter changes. */
  #gen = 0;
  /** The generation the upstream honoured nothing of: no stream until the filter changes. */
  #parkedGen = -1;
  #current: Stream | null = null;
  #opening: Stream | null = null;
  #waiters: Waiter[] = [];
  #attempt = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(opts: ListenStreamOptions) {
    this.#opts = opts;
  }

  /** Upstream URIs currently wanted (they survive reconnects). */
  get uris(): ReadonlySet<string> {
    return this.#uris;
  }

  /** The honoured filter of the live stream, null when none is open. */
  get honored(): ListenFilter | null {
    return this.#current?.honored ?? null;
  }

  /** The connection is ready (modern era) with these server capabilities. */
  start(capabilities: Record<string, unknown>): void {
    this.#caps = capabilities;
    this.#attempt = 0;
    this.#bump();
  }

  /** The connection is gone or closing: ends the streams; subscriptions are kept for the next start. */
  stop(reason: GatewayError): void {
    this.#caps = null;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    for (const s of [this.#opening, this.#current]) if (s) this.#end(s);
    this.#opening = null;
    this.#current = null;
    this.#failWaiters(() => true, reason);
  }

  /** Adds a URI; resolves once a stream that includes it was acknowledged. */
  subscribe(uri: string): Promise<SubscriptionOutcome> {
    if (!this.#caps) return Promise.reject(unavailable(this.#opts.upstreamId));
    const had = this.#uris.has(uri);
    if (had && this.#parkedGen === this.#gen) return Promise.resolve('refused');
    if (had && this.#current && this.#gen === this.#current.gen) {
      return Promise.resolve(this.#current.honored?.resourceSubscriptions?.includes(uri) ? 'honored' : 'refused');
    }
    return new Promise((resolve, reject) => {
      // Bounded even while a dropped stream waits out its back-off: at most two openings' worth.
      const w: Waiter = { gen: this.#gen + (had ? 0 : 1), uri, resolve, reject, timer: undefined };
      w.timer = setTimeout(() => {
        this.#failWaiters((x) => x === w, new GatewayError('UPSTREAM_TIMEOUT', `Upstream ${this.#opts.upstreamId} did not acknowledge the subscription in time`));
      }, 2 * this.#opts.ackTimeoutMs);
      w.timer.unref();
      this.#waiters.push(w);
      if (!had) {
        this.#uris.add(uri);
        this.#bump();
      }
    });
  }

  /** Removes a URI; the stream without it opens in the background. */
  unsubscribe(uri: string): void {
    if (this.#uris.delete(uri)) this.#bump();
  }

  #bump(): void {
    this.#gen++;
    this.#sync();
  }

  #wanted(): ListenFilter {
    const caps = this.#caps ?? {};
    const f: ListenFilter = {};
    if (listChanged(caps.tools)) f.toolsListChanged = true;
    if (listChanged(caps.prompts)) f.promptsListChanged = true;
    if (listChanged(caps.resources)) f.resourcesListChanged = true;
    if (this.#uris.size > 0) f.resourceSubscriptions = [...this.#uris];
    return f;
  }

  /** Brings the open stream in line with the wanted filter (one opening at a time). */
  #sync(): void {
    if (!this.#caps || this.#opening || this.#retryTimer !== undefined) return;
    const gen = this.#gen;
    if (this.#current?.gen === gen || this.#parkedGen === gen) return;
    const filter = this.#wanted();
    if (Object.keys(filter).length === 0) {
      if (this.#current) this.#end(this.#current);
      this.#current = null;
      return;
    }
    this.#open(gen, filter);
  }

  #open(gen: number, filter: ListenFilter): void {
    const s: Stream = { gen, ac: new AbortController(), ackTimer: undefined, honored: null };
    this.#opening = s;
    s.ackTimer = setTimeout(() => {
      this.#opts.log.warn({ ackTimeoutMs: this.#opts.ackTimeoutMs }, 'upstream did not acknowledge subscriptions/listen in time');
      this.#end(s);
      this.#ended(s, new GatewayError('UPSTREAM_TIMEOUT', `Upstream ${this.#opts.upstreamId} did not acknowledge subscriptions/listen in time`));
    }, this.#opts.ackTimeoutMs);
    s.ackTimer.unref();
    const onNotification = (n: JsonRpcNotification) => {
      if (n.method === ACK_METHOD) this.#acknowledged(s, n.params?.notifications);
    };
    this.#opts.send({ notifications: filter }, { signal: s.ac.signal, onNotification }).then(
      (res) => {
        if (!res.error) return this.#ended(s, null);
        const err = new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${this.#opts.upstreamId} refused subscriptions/listen (${res.error.code}: ${res.error.message.slice(0, 200)})`);
        // An upstream without the method will not grow it before it reconnects (start() again).
        this.#ended(s, err, res.error.code === METHOD_NOT_FOUND);
      },
      (err: unknown) => this.#ended(s, err instanceof GatewayError ? err : unavailable(this.#opts.upstreamId)),
    );
  }

  #acknowledged(s: Stream, raw: unknown): void {
    if (s !== this.#opening) return;
    clearTimeout(s.ackTimer);
    s.honored = honoredFilter(raw);
    this.#opening = null;
    const old = this.#current;
    this.#current = s;
    if (old) this.#end(old);
    this.#attempt = 0;
    const honoredUris = new Set(s.honored.resourceSubscriptions ?? []);
    this.#settleWaiters((w) => w.gen <= s.gen, (w) => w.resolve(honoredUris.has(w.uri) ? 'honored' : 'refused'));
    this.#sync();
  }

  /** A stream settled: gracefully (err null), refused, or failed. */
  #ended(s: Stream, err: GatewayError | null, park = false): void {
    clearTimeout(s.ackTimer);
    if (s === this.#opening) this.#opening = null;
    else if (s === this.#current) this.#current = null;
    else return; // replaced or stopped: its end was ours
    if (!this.#caps) return;
    if (err) {
      this.#opts.log.warn({ code: err.code, reason: err.message }, 'upstream subscriptions/listen stream ended');
      // A subscriber waiting on a stream that never came up hears why, instead of waiting for the next try.
      if (s.honored === null) this.#failWaiters((w) => w.gen <= s.gen, err);
    }
    // The upstream honoured nothing and closed, as the specification lets it: retrying would only spin.
    if (park || (err === null && s.honored !== null && Object.keys(s.honored).length === 0)) {
      this.#parkedGen = s.gen;
      return;
    }
    this.#scheduleRetry();
  }

  #scheduleRetry(): void {
    const { initialDelayMs, maxDelayMs } = this.#opts.retry;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    const delay = base / 2 + Math.random() * (base / 2);
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      // The same filter again: the stream is gone, so no generation counts as open.
      this.#parkedGen = -1;
      this.#sync();
    }, delay);
    this.#retryTimer.unref();
  }

  /** Cancels a stream (the peer tells the upstream and closes the HTTP response). */
  #end(s: Stream): void {
    clearTimeout(s.ackTimer);
    s.ac.abort();
  }

  #failWaiters(which: (w: Waiter) => boolean, err: GatewayError): void {
    this.#settleWaiters(which, (w) => w.reject(err));
  }

  #settleWaiters(which: (w: Waiter) => boolean, settle: (w: Waiter) => void): void {
    const done = this.#waiters.filter(which);
    if (done.length === 0) return;
    this.#waiters = this.#waiters.filter((w) => !which(w));
    for (const w of done) {
      clearTimeout(w.timer);
      settle(w);
    }
  }
}

function listChanged(cap: unknown): boolean {
  return typeof cap === 'object' && cap !== null && (cap as { listChanged?: unknown }).listChanged === true;
}

/** The acknowledged filter, read defensively (an upstream's claim, not trusted for shape). */
function honoredFilter(raw: unknown): ListenFilter {
  const f: ListenFilter = {};
  if (typeof raw !== 'object' || raw === null) return f;
  const r = raw as Record<string, unknown>;
  if (r.toolsListChanged === true) f.toolsListChanged = true;
  if (r.promptsListChanged === true) f.promptsListChanged = true;
  if (r.resourcesListChanged === true) f.resourcesListChanged = true;
  if (Array.isArray(r.resourceSubscriptions)) {
    const uris = r.resourceSubscriptions.filter((u): u is string => typeof u === 'string');
    if (uris.length > 0) f.resourceSubscriptions = uris;
  }
  return f;
}

function unavailable(id: string): GatewayError {
  return new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${id} is not connected`);
}

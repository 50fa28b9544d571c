import { SUBSCRIPTION_ID_META_KEY } from '@modelcontextprotocol/server';
import type { Logger } from 'pino';
import { GatewayError } from '../../errors/gateway-error.js';
import { ClientAnswerError, classifyMessage, type JsonRpcNotification, type JsonRpcRequest, type JsonRpcResponse } from '../jsonrpc.js';
import { TokenBucket } from '../../util/token-bucket.js';
import type { UpstreamRequestOptions, UpstreamResponse } from './types.js';

/**
 * The JSON-RPC client side of one upstream, independent of framing: fresh upstream ids,
 * the pending map, deadlines, cancellation, progress-token rewriting and the routing of
 * what the upstream sends. Wires (stdio, Streamable HTTP, SSE) only move messages.
 *
 * The hot path is one object allocation per request, one timer, and one Map lookup per
 * inbound message; nothing is copied except the params whose progress token is rewritten.
 */

/** How a wire moves messages. Failures to send are reported through peer.fail(). */
export interface PeerWire {
  sendRequest(message: JsonRpcRequest, request: PendingRequest): void;
  /** Best effort; `related` is the request this belongs to (HTTP sends it alongside). */
  sendNotification(message: JsonRpcNotification, related?: PendingRequest): void;
  sendResponse(message: JsonRpcResponse, related?: PendingRequest): void;
  /**
   * The request settled. `answered`: its response arrived (a stream may finish by itself);
   * otherwise it failed and whatever still streams for it should stop at once.
   */
  release?(request: PendingRequest, answered: boolean): void;
}

export interface PeerOptions {
  upstreamId: string;
  log: Logger;
  /** Per request: notifications beyond this rate are dropped and counted. */
  maxNotificationsPerSecond: number;
  /** Server requests being answered at once; more are refused. */
  maxConcurrentServerRequests?: number;
  onSessionNotification: (n: JsonRpcNotification) => void;
}

export interface PeerStats {
  unknownResponses: number;
  invalidMessages: number;
  droppedNotifications: number;
  oversizedMessages: number;
  refusedServerRequests: number;
}

/** Extra per-call knobs the client uses for itself; never set by agents. */
export interface InternalRequestOptions {
  /**
   * A request that stays open by design (`subscriptions/listen`): no deadline and no idle
   * timeout, not counted as in flight, and notifications stamped with its id as their
   * subscription id are routed to it even on a shared stream (stdio).
   */
  longLived?: boolean;
}

export class PendingRequest {
  /** Upstream id. */
  readonly id: number;
  readonly method: string;
  readonly message: JsonRpcRequest;
  readonly opts: UpstreamRequestOptions;
  readonly resolve: (r: UpstreamResponse) => void;
  readonly reject: (e: GatewayError) => void;
  readonly deadline: number;
  readonly idleMs: number;
  /** performance.now() of the last sign of life (bytes, progress); wires update it. */
  lastActivity: number;
  settled = false;
  /** See InternalRequestOptions.longLived. */
  longLived = false;
  callerToken: string | number | undefined;
  upstreamToken: string | undefined;
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
  notifications: TokenBucket | undefined;
  /** Free for the wire (HTTP keeps its AbortController and retry flag here). */
  wireState: unknown;

  constructor(
    id: number,
    message: JsonRpcRequest,
    opts: UpstreamRequestOptions,
    resolve: (r: UpstreamResponse) => void,
    reject: (e: GatewayError) => void,
    timeoutMs: number,
    idleMs: number,
  ) {
    this.id = id;
    this.method = message.method;
    this.message = message;
    this.opts = opts;
    this.resolve = resolve;
    this.reject = reject;
    this.lastActivity = performance.now();
    this.deadline = this.lastActivity + timeoutMs;
    this.idleMs = idleMs;
  }

  /** Wires call this once the request is written to the upstream (a pipe, a connection): from then on it may act on it. */
  written(): void {
    this.opts.onDispatched?.();
  }
}

const MAX_ID = Number.MAX_SAFE_INTEGER;

export class JsonRpcPeer {
  readonly #opts: PeerOptions;
  readonly #pending = new Map<number, PendingRequest>();
  readonly #byToken = new Map<string, PendingRequest>();
  readonly #sessionBucket: TokenBucket;
  readonly #tokenPrefix: string;
  #nextId = 1;
  #longLived = 0;
  #serverRequestsActive = 0;
  #wire: PeerWire | null = null;
  #lastUnknownLog = 0;
  readonly stats: PeerStats = { unknownResponses: 0, invalidMessages: 0, droppedNotifications: 0, oversizedMessages: 0, refusedServerRequests: 0 };

  constructor(opts: PeerOptions) {
    this.#opts = opts;
    this.#sessionBucket = new TokenBucket(opts.maxNotificationsPerSecond);
    // Tokens unique to this gateway process and upstream, never one an agent chose.
    this.#tokenPrefix = `warden-${process.pid.toString(36)}-${Math.floor(Math.random() * 2 ** 32).toString(36)}-`;
  }

  /** Requests in flight, long-lived streams not included. */
  get pendingCount(): number {
    return this.#pending.size - this.#longLived;
  }

  attach(wire: PeerWire | null): void {
    this.#wire = wire;
  }

  request(
    method: string,
    params: Record<string, unknown> | undefined,
    opts: UpstreamRequestOptions,
    defaults: { timeoutMs: number; idleMs: number },
    envelope: Record<string, unknown> | null,
    internal: InternalRequestOptions = {},
  ): Promise<UpstreamResponse> {
    const wire = this.#wire;
    if (!wire) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#opts.upstreamId} is not connected`));
    if (opts.signal?.aborted) return Promise.reject(cancelled());
    const id = this.#nextId;
    this.#nextId = id >= MAX_ID ? 1 : id + 1;

    let callerToken: string | number | undefined;
    let upstreamToken: string | undefined;
    let outParams = params;
    const meta = params?._meta as Record<string, unknown> | undefined;
    if (meta !== undefined && typeof meta === 'object' && meta !== null && meta.progressToken !== undefined) {
      const t = meta.progressToken;
      if (typeof t === 'string' || typeof t === 'number') callerToken = t;
      upstreamToken = this.#tokenPrefix + id;
      outParams = { ...params, _meta: { ...meta, progressToken: upstreamToken } };
    }
    if (envelope) outParams = { ...outParams, _meta: { ...(outParams?._meta as Record<string, unknown> | undefined), ...envelope } };
    const message: JsonRpcRequest = outParams === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params: outParams };

    return new Promise<UpstreamResponse>((resolve, reject) => {
      const req = new PendingRequest(id, message, opts, resolve, reject, opts.timeoutMs ?? defaults.timeoutMs, defaults.idleMs);
      req.callerToken = callerToken;
      req.upstreamToken = upstreamToken;
      this.#pending.set(id, req);
      if (upstreamToken !== undefined) this.#byToken.set(upstreamToken, req);
      if (internal.longLived) {
        req.longLived = true;
        this.#longLived++;
      } else this.#arm(req);
      if (opts.signal) {
        req.onAbort = () => this.#cancel(req, cancelled(), 'cancelled by the client');
        opts.signal.addEventListener('abort', req.onAbort, { once: true });
      }
      try {
        wire.sendRequest(message, req);
      } catch (err) {
        this.fail(req, new GatewayError('INTERNAL', 'The request could not be sent upstream', { cause: err }));
      }
    });
  }

  /** Sends a notification that belongs to no request (notifications/initialized). */
  notify(method: string, params?: Record<string, unknown>): void {
    this.#wire?.sendNotification(params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params });
  }

  /**
   * One parsed message from the upstream. `via` is the request whose own stream carried it
   * (an HTTP POST response); shared streams (stdio, SSE, the HTTP GET stream) pass nothing.
   */
  receive(value: unknown, bytes: number, via?: PendingRequest): void {
    const c = classifyMessage(value);
    if (c.kind === 'invalid') {
      this.stats.invalidMessages++;
      if (via && !via.settled) return this.fail(via, badResponse(`Upstream sent an invalid JSON-RPC message (${c.reason})`));
      this.#opts.log.warn({ reason: c.reason }, 'upstream sent an invalid JSON-RPC message; dropped');
      return;
    }
    if (c.kind === 'response') {
      const msg = c.message as JsonRpcResponse;
      const req = typeof msg.id === 'number' ? this.#pending.get(msg.id) : undefined;
      // A response on another request's stream is as suspicious as an unknown id.
      if (!req || (via !== undefined && req !== via)) return this.#unknownResponse(msg.id);
      this.#settle(req, true);
      req.resolve('error' in msg ? { error: msg.error, bytes } : { result: msg.result, bytes });
      return;
    }
    if (c.kind === 'notification') return this.#notification(c.message as JsonRpcNotification, via);
    this.#serverRequest(c.message as JsonRpcRequest, via);
  }

  /** One framed message as text (a stdio line, an SSE event); text that is not JSON is counted and dropped. */
  receiveText(text: string, bytes: number, via?: PendingRequest): void {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      this.stats.invalidMessages++;
      this.#opts.log.warn({}, 'upstream sent a message that is not JSON; dropped');
      return;
    }
    this.receive(value, bytes, via);
  }

  /** A message over the size cap was skipped; `id` is its top-level id when it could be found. */
  oversized(id: number | undefined, bytes: number, limit: number): void {
    this.stats.oversizedMessages++;
    const req = id === undefined ? undefined : this.#pending.get(id);
    this.#opts.log.warn({ bytes, limit, request: req ? req.method : null }, 'upstream message over the size limit; discarded');
    if (req) this.fail(req, tooLarge(limit));
  }

  /** Marks a sign of life for the idle timeout. */
  touch(req: PendingRequest): void {
    req.lastActivity = performance.now();
  }

  fail(req: PendingRequest, err: GatewayError): void {
    if (req.settled) return;
    this.#settle(req, false);
    req.reject(err);
  }

  /** The connection is gone: every pending request fails with `err`. */
  failAll(err: GatewayError): void {
    for (const req of [...this.#pending.values()]) this.fail(req, err);
  }

  #arm(req: PendingRequest): void {
    const next = Math.min(req.deadline, req.lastActivity + req.idleMs);
    req.timer = setTimeout(this.#onTimer, Math.max(1, next - performance.now()), req);
  }

  readonly #onTimer = (req: PendingRequest): void => {
    if (req.settled) return;
    const now = performance.now();
    if (now >= req.deadline - 1) {
      return this.#cancel(req, new GatewayError('UPSTREAM_TIMEOUT', `Upstream ${this.#opts.upstreamId} did not answer ${req.method} in time`), 'timed out');
    }
    if (now - req.lastActivity >= req.idleMs - 1) {
      return this.#cancel(req, new GatewayError('UPSTREAM_TIMEOUT', `Upstream ${this.#opts.upstreamId} sent nothing for ${req.idleMs} ms during ${req.method}`), 'idle timeout');
    }
    this.#arm(req);
  };

  /** Gives up on a request and tells the upstream so it can stop working on it. */
  #cancel(req: PendingRequest, err: GatewayError, reason: string): void {
    if (req.settled) return;
    if (req.method === 'initialize') return this.fail(req, err); // never cancelled, per the specification
    // Tell the upstream before releasing the request (HTTP sends it on its own POST).
    this.#wire?.sendNotification({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: req.id, reason } }, req);
    this.fail(req, err);
  }

  #settle(req: PendingRequest, answered: boolean): void {
    req.settled = true;
    this.#pending.delete(req.id);
    if (req.longLived) this.#longLived--;
    if (req.upstreamToken !== undefined) this.#byToken.delete(req.upstreamToken);
    clearTimeout(req.timer);
    if (req.onAbort) req.opts.signal?.removeEventListener('abort', req.onAbort);
    this.#wire?.release?.(req, answered);
    const dropped = req.notifications?.drainDropped();
    if (dropped) this.#opts.log.warn({ method: req.method, dropped }, 'upstream notifications over the rate limit were dropped');
  }

  #unknownResponse(id: unknown): void {
    this.stats.unknownResponses++;
    const now = performance.now();
    if (now - this.#lastUnknownLog > 1000) {
      this.#lastUnknownLog = now;
      this.#opts.log.warn({ id: typeof id === 'number' || typeof id === 'string' ? String(id).slice(0, 64) : null, total: this.stats.unknownResponses }, 'upstream response with an unknown id; dropped');
    }
  }

  #notification(n: JsonRpcNotification, via: PendingRequest | undefined): void {
    if (n.method === 'notifications/progress') {
      const token = n.params?.progressToken;
      const req = typeof token === 'string' ? this.#byToken.get(token) : undefined;
      if (!req || (via !== undefined && req !== via)) {
        this.stats.droppedNotifications++;
        return;
      }
      req.lastActivity = performance.now();
      if (!this.#allow(req)) return;
      const onNotification = req.opts.onNotification;
      if (!onNotification) return;
      const restored: JsonRpcNotification = { jsonrpc: '2.0', method: n.method, params: { ...n.params, progressToken: req.callerToken } };
      return deliver(onNotification, restored, this.#opts);
    }
    if (n.method === 'notifications/cancelled') {
      // The upstream ended one of our long-lived streams (stdio); any other id is a request of its own.
      const ended = this.#longLivedById(n.params?.requestId);
      if (ended && (via === undefined || via === ended)) this.fail(ended, new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#opts.upstreamId} ended the ${ended.method} stream`));
      return;
    }
    // On a shared stream, a subscription id names the long-lived request it belongs to.
    via ??= this.#longLivedById((n.params?._meta as Record<string, unknown> | undefined)?.[SUBSCRIPTION_ID_META_KEY]);
    if (via !== undefined && !isSessionLevel(n.method)) {
      // It belongs to that request alone: after it settled it is dropped, never broadcast.
      if (via.settled) return;
      via.lastActivity = performance.now();
      if (!this.#allow(via) || !via.opts.onNotification) return;
      return deliver(via.opts.onNotification, n, this.#opts);
    }
    if (!this.#sessionBucket.take()) {
      this.stats.droppedNotifications++;
      return;
    }
    this.#opts.onSessionNotification(n);
  }

  #longLivedById(id: unknown): PendingRequest | undefined {
    if (this.#longLived === 0 || typeof id !== 'number') return undefined;
    const req = this.#pending.get(id);
    return req?.longLived ? req : undefined;
  }

  /** The one ordinary request in flight, if there is exactly one (long-lived streams never ask for input). */
  #onlyCall(): PendingRequest | undefined {
    if (this.pendingCount !== 1) return undefined;
    for (const req of this.#pending.values()) if (!req.longLived) return req;
    return undefined;
  }

  #allow(req: PendingRequest): boolean {
    const bucket = (req.notifications ??= new TokenBucket(this.#opts.maxNotificationsPerSecond));
    if (bucket.take()) return true;
    this.stats.droppedNotifications++;
    return false;
  }

  #serverRequest(r: JsonRpcRequest, via: PendingRequest | undefined): void {
    if (r.method === 'ping') return this.#wire?.sendResponse({ jsonrpc: '2.0', id: r.id, result: {} }, via);
    // On a shared stream a server request names no request of ours; it is only routed when
    // exactly one request is in flight, so it can never reach another caller.
    const target = via ?? this.#onlyCall();
    const handler = target && !target.settled ? target.opts.onServerRequest : undefined;
    const max = this.#opts.maxConcurrentServerRequests ?? 16;
    if (!handler || this.#serverRequestsActive >= max) {
      this.stats.refusedServerRequests++;
      this.#opts.log.info({ method: r.method }, 'server-to-client request refused');
      return this.#wire?.sendResponse({ jsonrpc: '2.0', id: r.id, error: { code: -32601, message: `The gateway does not accept ${r.method.slice(0, 64)} from this upstream` } }, via);
    }
    this.#serverRequestsActive++;
    target!.lastActivity = performance.now();
    let answer: Promise<Record<string, unknown>>;
    try {
      answer = handler(r);
    } catch (err) {
      answer = Promise.reject(err);
    }
    answer.then(
      (result) => this.#wire?.sendResponse({ jsonrpc: '2.0', id: r.id, result }, target),
      (err: unknown) => {
        const e =
          err instanceof ClientAnswerError
            ? err.rpc
            : err instanceof GatewayError
              ? { code: err.jsonrpcCode, message: err.message }
              : { code: -32603, message: 'The gateway could not answer this request' };
        this.#wire?.sendResponse({ jsonrpc: '2.0', id: r.id, error: e }, target);
      },
    ).finally(() => {
      this.#serverRequestsActive--;
    });
  }
}

const SESSION_LEVEL = new Set([
  'notifications/tools/list_changed',
  'notifications/prompts/list_changed',
  'notifications/resources/list_changed',
  'notifications/resources/updated',
]);

function isSessionLevel(method: string): boolean {
  return SESSION_LEVEL.has(method);
}

function deliver(fn: (n: JsonRpcNotification) => void, n: JsonRpcNotification, opts: PeerOptions): void {
  try {
    fn(n);
  } catch (err) {
    opts.log.error({ err }, 'notification handler threw');
  }
}

function cancelled(): GatewayError {
  // The caller gave up (a cancel or a closed request): recorded as such, not against the upstream.
  return new GatewayError('CLIENT_CLOSED_REQUEST', 'The request was cancelled');
}

export function badResponse(message: string): GatewayError {
  return new GatewayError('UPSTREAM_BAD_RESPONSE', message);
}

export function tooLarge(limit: number): GatewayError {
  return new GatewayError('UPSTREAM_BAD_RESPONSE', 'Upstream response too large', { details: { limitBytes: limit } });
}

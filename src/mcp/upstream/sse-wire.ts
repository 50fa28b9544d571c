import { setMaxListeners } from 'node:events';
import type { Dispatcher } from 'undici';
import { ON_WRITTEN } from '../../egress/on-written.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc.js';
import { findTopLevelId } from './line-splitter.js';
import type { PendingRequest } from './peer.js';
import { SseParser } from './sse-parser.js';
import { networkError, type UpstreamWire, type WireContext } from './wire.js';

/**
 * The legacy HTTP+SSE transport (2024-11-05): one long GET stream carries everything the
 * server sends; its first event, `endpoint`, names where to POST messages (same origin
 * only, so configured credentials never leave for another host). Each event is capped at
 * maxResultBytes; an oversized response fails its request when its id can be found.
 */
export class SseWire implements UpstreamWire {
  readonly #ctx: WireContext;
  readonly #url: URL;
  readonly #pool: Dispatcher;
  #endpoint: string | null = null;
  #stream = new AbortController();
  /** Ends this wire's message POSTs on close (the egress pool is shared, so it is not destroyed). */
  readonly #posts = new AbortController();
  #closed = false;
  #gone = false;

  constructor(ctx: WireContext) {
    this.#ctx = ctx;
    this.#url = new URL(ctx.config.url!);
    this.#pool = ctx.egress.dispatcher({ origin: this.#url.origin, internal: ctx.config.internal, connections: 32, connectTimeoutMs: ctx.config.timeouts.connectMs });
    // Every POST in flight listens on it.
    setMaxListeners(0, this.#posts.signal);
  }

  open(): Promise<void> {
    const { config, peer } = this.#ctx;
    const max = config.maxResultBytes;
    return new Promise<void>((resolve, reject) => {
      const fail = (err: GatewayError) => {
        if (this.#endpoint === null) reject(err);
        else this.#lost(err);
      };
      this.#pool
        .request({
          method: 'GET',
          path: this.#url.pathname + this.#url.search,
          headers: { ...this.#ctx.values, accept: 'text/event-stream' },
          signal: this.#stream.signal,
        })
        .then(
          (res) => {
            const type = String(res.headers['content-type'] ?? '').toLowerCase();
            if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
              res.body.dump().catch(() => {});
              return fail(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id} did not open an event stream (HTTP ${res.statusCode})`, { details: { httpStatus: res.statusCode } }));
            }
            const parser = new SseParser(max, {
              event: (eventType, data, size) => {
                if (eventType === 'endpoint') {
                  if (this.#endpoint !== null) return;
                  const target = sameOriginPath(data, this.#url);
                  if (!target) {
                    this.#stream.abort();
                    return fail(new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${config.id} named a message endpoint on another origin`));
                  }
                  this.#endpoint = target;
                  return resolve();
                }
                if (eventType === 'message') peer.receiveText(data, size);
              },
              oversized: (_t, head, tail, size) => peer.oversized(findTopLevelId(head, tail), size, max),
            });
            res.body.on('data', (chunk: Buffer) => parser.push(chunk));
            res.body.on('error', () => {});
            res.body.on('close', () => fail(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id} closed its event stream`)));
          },
          (err: unknown) => fail(networkError(config.id, err)),
        );
    });
  }

  negotiated(): void {}

  sendRequest(message: JsonRpcRequest, request: PendingRequest): void {
    this.#post(message, (err) => this.#ctx.peer.fail(request, err), () => request.written());
  }

  sendNotification(message: JsonRpcNotification): void {
    this.#post(message, () => {});
  }

  sendResponse(message: JsonRpcResponse): void {
    this.#post(message, () => {});
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stream.abort();
    this.#posts.abort();
  }

  #post(message: JsonRpcMessage, onError: (err: GatewayError) => void, onWritten?: () => void): void {
    const id = this.#ctx.config.id;
    if (this.#endpoint === null || this.#closed) return onError(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${id} is not connected`));
    this.#pool
      .request({
        method: 'POST',
        path: this.#endpoint,
        headers: { ...this.#ctx.values, 'content-type': 'application/json' },
        body: JSON.stringify(message),
        signal: this.#posts.signal,
        ...(onWritten ? { [ON_WRITTEN]: onWritten } : {}),
      } as Dispatcher.RequestOptions)
      .then(
        (res) => {
          res.body.dump({ limit: 64 * 1024 }).catch(() => {});
          if (res.statusCode < 200 || res.statusCode >= 300) {
            onError(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${id} refused the message (HTTP ${res.statusCode})`, { details: { httpStatus: res.statusCode } }));
          }
        },
        (err: unknown) => onError(networkError(id, err)),
      );
  }

  #lost(err: GatewayError): void {
    if (this.#gone || this.#closed) return;
    this.#gone = true;
    this.#ctx.onClosed(err);
  }
}

/** The path of `endpoint` resolved against the stream URL, or null if it is on another origin. */
function sameOriginPath(endpoint: string, base: URL): string | null {
  let target: URL;
  try {
    target = new URL(endpoint.trim(), base);
  } catch {
    return null;
  }
  return target.origin === base.origin ? target.pathname + target.search : null;
}

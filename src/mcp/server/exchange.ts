/**
 * One POST on /mcp: answered with a single JSON body, unless something has to reach the
 * client before the final response (progress, log messages, a sampling request), in which
 * case the answer upgrades to an SSE stream scoped to this request.
 */
import type { Response } from 'express';
import { TokenBucket } from '../../util/token-bucket.js';
import { SseStream } from './sse-stream.js';
import { becomeStream, type StreamQuota } from './stream-quota.js';

/** Where one message's answers go: its own HTTP response (Streamable HTTP) or a session stream (legacy HTTP+SSE). */
export interface Responder {
  readonly upgraded: boolean;
  readonly done: boolean;
  readonly dropped: number;
  setHeader(name: string, value: string): void;
  notify(message: { method: string; id?: unknown }, rateLimited?: boolean): boolean;
  stream(): SseStream;
  /** Turns this answer into a long-lived stream counted by the quota (throws when over it); returns the release. */
  becomeStream(quota: StreamQuota, agentId: string): () => void;
  finish(status: number, json: string, headers?: Record<string, string>): void;
  accepted(): void;
}

export class Exchange implements Responder {
  readonly #res: Response;
  readonly #extraHeaders: Record<string, string> = {};
  #stream: SseStream | null = null;
  #done = false;
  /** Notifications per second on this stream: a flooding upstream must not fill it. */
  readonly #rate: TokenBucket;
  /** Notifications dropped because the upstream sent more than the per-stream rate allows. */
  dropped = 0;
  sent = 0;

  constructor(res: Response, maxNotificationsPerSecond: number) {
    this.#res = res;
    this.#rate = new TokenBucket(maxNotificationsPerSecond);
  }

  get upgraded(): boolean {
    return this.#stream !== null;
  }

  get done(): boolean {
    return this.#done || this.#res.destroyed;
  }

  /** Headers every answer of this exchange carries (Mcp-Session-Id on initialize). */
  setHeader(name: string, value: string): void {
    this.#extraHeaders[name] = value;
  }

  /**
   * Sends a message before the final response. Notifications beyond the rate limit are
   * dropped (and counted); requests to the client are never dropped.
   */
  notify(message: { method: string; id?: unknown }, rateLimited = true): boolean {
    if (this.done) return false;
    if (rateLimited && !this.#rate.take()) {
      this.dropped++;
      return false;
    }
    this.sent++;
    return this.#upgrade().send(message);
  }

  becomeStream(quota: StreamQuota, agentId: string): () => void {
    return becomeStream(quota, agentId, this.#res.locals);
  }

  /** Opens the SSE stream now (long-lived answers: subscriptions/listen). */
  stream(): SseStream {
    return this.#upgrade();
  }

  /** The final response, as serialized JSON. */
  finish(status: number, json: string, headers: Record<string, string> = {}): void {
    if (this.done) return;
    this.#done = true;
    if (this.#stream) {
      this.#stream.sendRaw(json);
      this.#stream.end();
      return;
    }
    const res = this.#res;
    for (const [k, v] of Object.entries({ ...this.#extraHeaders, ...headers })) res.setHeader(k, v);
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(json);
  }

  /** 202 Accepted: a notification or response was taken in; nothing to say. */
  accepted(): void {
    if (this.done) return;
    this.#done = true;
    for (const [k, v] of Object.entries(this.#extraHeaders)) this.#res.setHeader(k, v);
    this.#res.statusCode = 202;
    this.#res.end();
  }

  #upgrade(): SseStream {
    if (!this.#stream) this.#stream = new SseStream(this.#res, { headers: this.#extraHeaders });
    return this.#stream;
  }
}

/**
 * A Server-Sent Events response carrying JSON-RPC messages. Writes never queue without
 * bound: a client that stops reading while the gateway keeps producing (a flooding
 * upstream) gets its stream closed once the socket buffer passes `maxBufferedBytes`.
 */
import type { ServerResponse } from 'node:http';

export interface SseStreamOptions {
  keepAliveMs?: number;
  maxBufferedBytes?: number;
  headers?: Record<string, string>;
}

export class SseStream {
  readonly #res: ServerResponse;
  readonly #maxBuffered: number;
  #timer: NodeJS.Timeout | null = null;
  #ended = false;
  #onEnd: Array<() => void> = [];
  bytesWritten = 0;

  constructor(res: ServerResponse, opts: SseStreamOptions = {}) {
    this.#res = res;
    this.#maxBuffered = opts.maxBufferedBytes ?? 4 * 1024 * 1024;
    res.statusCode = 200;
    res.setHeader('content-type', 'text/event-stream');
    res.setHeader('cache-control', 'no-cache, no-transform');
    res.setHeader('x-accel-buffering', 'no');
    for (const [k, v] of Object.entries(opts.headers ?? {})) res.setHeader(k, v);
    res.flushHeaders();
    res.on('close', () => this.#finish());
    const keepAlive = opts.keepAliveMs ?? 15_000;
    if (keepAlive > 0) {
      this.#timer = setInterval(() => this.#write(': keep-alive\n\n'), keepAlive);
      this.#timer.unref();
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Sends one JSON-RPC message as a `message` event. Returns false if the stream is gone. */
  send(message: unknown): boolean {
    return this.sendRaw(JSON.stringify(message));
  }

  /** Sends already-serialized JSON (one line) as a `message` event. */
  sendRaw(json: string): boolean {
    return this.#write(`event: message\ndata: ${json}\n\n`);
  }

  /** Sends a named event with raw data (the legacy SSE transport's `endpoint` event). */
  sendEvent(event: string, data: string): boolean {
    return this.#write(`event: ${event}\ndata: ${data}\n\n`);
  }

  onEnd(fn: () => void): void {
    if (this.#ended) fn();
    else this.#onEnd.push(fn);
  }

  end(): void {
    if (this.#ended) return;
    this.#res.end();
    this.#finish();
  }

  #write(chunk: string): boolean {
    if (this.#ended || this.#res.destroyed) return false;
    if (this.#res.writableLength > this.#maxBuffered) {
      // The client is not reading: drop the stream rather than buffer without limit.
      this.#res.destroy();
      this.#finish();
      return false;
    }
    this.bytesWritten += Buffer.byteLength(chunk);
    this.#res.write(chunk);
    return true;
  }

  #finish(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const fn of this.#onEnd.splice(0)) fn();
  }
}

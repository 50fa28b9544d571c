import { PROTOCOL_VERSION_META_KEY } from '@modelcontextprotocol/server';
import type { Dispatcher } from 'undici';
import { ON_WRITTEN } from '../../egress/on-written.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc.js';
import { findTopLevelId } from './line-splitter.js';
import { badResponse, tooLarge, type PendingRequest } from './peer.js';
import { SseParser } from './sse-parser.js';
import type { ProtocolEra } from './types.js';
import { networkError, type UpstreamWire, type WireContext } from './wire.js';
import { mcpHeaderValue } from './header-value.js';

/** Error bodies are read only this far (enough for a JSON-RPC error). */
const ERROR_BODY_BYTES = 64 * 1024;
/** After its response arrived, a request's SSE stream may take this long to end by itself. */
const STREAM_LINGER_MS = 5_000;
const GET_RETRY_MIN_MS = 1_000;
const GET_RETRY_MAX_MS = 30_000;

/** Which body field the 2026-07-28 `Mcp-Name` header mirrors, per method. */
const MCP_NAME_FIELD: Record<string, string> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

interface Exchange {
  abort: AbortController;
  body: Dispatcher.ResponseData['body'] | null;
  retried: boolean;
}

/**
 * Streamable HTTP. Every message is its own POST on a keep-alive pool (the egress's, shared
 * with any other user of the same origin, so closing the wire ends its own exchanges rather
 * than the pool); the answer is a JSON
 * body or an SSE stream carrying notifications and server requests before the response.
 * Legacy era: the `Mcp-Session-Id` from initialize and `MCP-Protocol-Version` go on every
 * message, a GET stream carries session-level notifications, and a 404 means the session
 * expired (initialize again, once). Modern era: no session; `Mcp-Method`/`Mcp-Name` headers
 * and the per-request `_meta` envelope (added by the client).
 */
export class HttpWire implements UpstreamWire {
  readonly #ctx: WireContext;
  readonly #url: URL;
  readonly #path: string;
  readonly #pool: Dispatcher;
  readonly #max: number;
  /** Exchanges whose request or response stream may still be open; close() ends them. */
  readonly #open = new Set<Exchange>();
  #era: ProtocolEra | null = null;
  #version: string | null = null;
  #sessionId: string | null = null;
  #closed = false;
  #getStream: AbortController | null = null;
  #getRetryMs = GET_RETRY_MIN_MS;
  #getTimer: NodeJS.Timeout | undefined;

  constructor(ctx: WireContext) {
    this.#ctx = ctx;
    this.#url = new URL(ctx.config.url!);
    this.#path = this.#url.pathname + this.#url.search;
    this.#max = ctx.config.maxResultBytes;
    // The peer owns request deadlines (overall and idle); the egress pool sets none of its own.
    this.#pool = ctx.egress.dispatcher({
      origin: this.#url.origin,
      internal: ctx.config.internal,
      connections: 64,
      connectTimeoutMs: ctx.config.timeouts.connectMs,
      keepAliveMs: 30_000,
    });
  }

  async open(): Promise<void> {}

  negotiated(era: ProtocolEra, protocolVersion: string): void {
    this.#era = era;
    this.#version = protocolVersion;
    if (era === 'legacy') this.#openGetStream();
  }

  sendRequest(message: JsonRpcRequest, request: PendingRequest): void {
    const ex: Exchange = { abort: new AbortController(), body: null, retried: false };
    request.wireState = ex;
    this.#open.add(ex);
    this.#postRequest(message, request, ex);
  }

  sendNotification(message: JsonRpcNotification): void {
    this.#postOneWay(message);
  }

  sendResponse(message: JsonRpcResponse): void {
    this.#postOneWay(message);
  }

  release(request: PendingRequest, answered: boolean): void {
    const ex = request.wireState as Exchange | undefined;
    if (!ex) return;
    if (!ex.body) {
      this.#open.delete(ex);
      return ex.abort.abort();
    }
    if (ex.body.readableEnded || ex.body.destroyed || !answered) {
      this.#open.delete(ex);
      if (!ex.body.readableEnded) ex.body.destroy();
      return;
    }
    // The response came; the stream normally ends right after. Give it a moment so the
    // connection stays reusable, but never forever.
    const body = ex.body;
    const t = setTimeout(() => body.destroy(), STREAM_LINGER_MS);
    t.unref();
    body.once('close', () => {
      clearTimeout(t);
      this.#open.delete(ex);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#getTimer);
    this.#getStream?.abort();
    if (this.#era === 'legacy' && this.#sessionId) {
      // Best effort: tell the server the session is over, but never wait long for it.
      const ac = new AbortController();
      const t = setTimeout(() => ac.abort(), 1000);
      await this.#pool
        .request({ method: 'DELETE', path: this.#path, headers: this.#headers(undefined), signal: ac.signal })
        .then((r) => r.body.dump())
        .catch(() => {});
      clearTimeout(t);
    }
    // The pool is shared: end this wire's own requests and streams, not the pool.
    for (const ex of this.#open) {
      ex.abort.abort();
      ex.body?.destroy();
    }
    this.#open.clear();
  }

  #headers(message: JsonRpcMessage | undefined): Record<string, string> {
    const h: Record<string, string> = { ...this.#ctx.values, accept: 'application/json, text/event-stream' };
    if (message) h['content-type'] = 'application/json';
    const req = message && 'method' in message && 'id' in message ? (message as JsonRpcRequest) : undefined;
    const claimed = req?.params?._meta as Record<string, unknown> | undefined;
    // W3C trace context travels as headers too, for HTTP servers that read it there.
    if (typeof claimed?.traceparent === 'string') h.traceparent = claimed.traceparent;
    if (typeof claimed?.tracestate === 'string') h.tracestate = claimed.tracestate;
    const envelopeVersion = claimed?.[PROTOCOL_VERSION_META_KEY];
    if (typeof envelopeVersion === 'string') {
      h['mcp-protocol-version'] = envelopeVersion;
      h['mcp-method'] = req!.method;
      const field = MCP_NAME_FIELD[req!.method];
      const name = field ? req!.params?.[field] : undefined;
      if (typeof name === 'string') h['mcp-name'] = mcpHeaderValue(name);
      return h;
    }
    // initialize opens a new session: it never carries an old one.
    if (req?.method === 'initialize') return h;
    if (this.#version) h['mcp-protocol-version'] = this.#version;
    if (this.#era === 'modern' && message && 'method' in message) h['mcp-method'] = message.method;
    if (this.#sessionId) h['mcp-session-id'] = this.#sessionId;
    return h;
  }

  #postRequest(message: JsonRpcRequest, request: PendingRequest, ex: Exchange): void {
    const peer = this.#ctx.peer;
    const sessionAtSend = this.#sessionId;
    this.#pool
      .request({
        method: 'POST',
        path: this.#path,
        headers: this.#headers(message),
        body: JSON.stringify(message),
        signal: ex.abort.signal,
        [ON_WRITTEN]: () => request.written(),
      } as Dispatcher.RequestOptions)
      .then(
        (res) => this.#onResponse(res, message, request, ex, sessionAtSend),
        (err: unknown) => {
          if (!request.settled) peer.fail(request, networkError(this.#ctx.config.id, err));
        },
      );
  }

  #onResponse(res: Dispatcher.ResponseData, message: JsonRpcRequest, request: PendingRequest, ex: Exchange, sessionAtSend: string | null): void {
    const peer = this.#ctx.peer;
    ex.body = res.body;
    res.body.on('error', () => {});
    if (request.settled) return void res.body.destroy();
    const status = res.statusCode;
    if (status === 404 && sessionAtSend !== null && this.#era === 'legacy' && !ex.retried && message.method !== 'initialize') {
      res.body.dump().catch(() => {});
      ex.retried = true;
      ex.body = null;
      const renewed = sessionAtSend === this.#sessionId ? this.#ctx.reinitialize() : Promise.resolve();
      renewed.then(
        () => {
          if (!request.settled) this.#postRequest(message, request, ex);
        },
        (err: unknown) => peer.fail(request, new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#ctx.config.id} session expired and could not be renewed`, { cause: err })),
      );
      return;
    }
    if (message.method === 'initialize' && status >= 200 && status < 300) {
      const sid = res.headers['mcp-session-id'];
      this.#sessionId = typeof sid === 'string' && sid.length > 0 && sid.length <= 256 ? sid : null;
    }
    if (status < 200 || status >= 300) return this.#onErrorStatus(res, request);
    const type = String(res.headers['content-type'] ?? '').toLowerCase();
    if (type.startsWith('text/event-stream')) return this.#readStream(res.body, request);
    if (type.startsWith('application/json')) return this.#readJson(res.body, request);
    res.body.destroy();
    peer.fail(request, badResponse(`Upstream ${this.#ctx.config.id} answered with content type ${type.slice(0, 64) || '(none)'}`));
  }

  #readJson(body: Dispatcher.ResponseData['body'], request: PendingRequest): void {
    const peer = this.#ctx.peer;
    const chunks: Buffer[] = [];
    let bytes = 0;
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > this.#max) {
        body.destroy();
        return peer.fail(request, tooLarge(this.#max));
      }
      request.lastActivity = performance.now();
      chunks.push(chunk);
    });
    body.on('end', () => {
      if (request.settled) return;
      let value: unknown;
      try {
        value = JSON.parse((chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes)).toString('utf8'));
      } catch {
        return peer.fail(request, badResponse(`Upstream ${this.#ctx.config.id} answered with invalid JSON`));
      }
      peer.receive(value, bytes, request);
      if (!request.settled) peer.fail(request, badResponse(`Upstream ${this.#ctx.config.id} answered without a response to the request`));
    });
  }

  #readStream(body: Dispatcher.ResponseData['body'], request: PendingRequest): void {
    const peer = this.#ctx.peer;
    let bytes = 0;
    const parser = new SseParser(this.#max, {
      event: (type, data, size) => {
        // Messages after the response (late notifications) are routed like any other.
        if (type === 'message') peer.receiveText(data, size, request);
      },
      oversized: (_type, _head, _tail, size) => {
        peer.oversized(request.settled ? undefined : request.id, size, this.#max);
        body.destroy();
      },
    });
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      // A long-lived stream (subscriptions/listen) is capped per message by the parser only:
      // a total would end it after so many notifications.
      if (bytes > this.#max && !request.longLived) {
        body.destroy();
        if (!request.settled) peer.fail(request, tooLarge(this.#max));
        return;
      }
      request.lastActivity = performance.now();
      parser.push(chunk);
    });
    body.on('end', () => {
      if (!request.settled) peer.fail(request, new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#ctx.config.id} ended the stream before answering`));
    });
    body.on('close', () => {
      if (!request.settled) peer.fail(request, new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#ctx.config.id} closed the stream before answering`));
    });
  }

  #onErrorStatus(res: Dispatcher.ResponseData, request: PendingRequest): void {
    const status = res.statusCode;
    const chunks: Buffer[] = [];
    let bytes = 0;
    const finish = () => {
      if (request.settled) return;
      let rpcCode: number | undefined;
      try {
        const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code?: unknown } };
        if (typeof parsed.error?.code === 'number') rpcCode = parsed.error.code;
      } catch {
        // not JSON: the status says enough
      }
      const details = { httpStatus: status, ...(rpcCode === undefined ? {} : { rpcCode }) };
      const id = this.#ctx.config.id;
      const err =
        status === 401 || status === 403
          ? new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${id} refused the gateway's credentials (HTTP ${status})`, { details })
          : status >= 500 || status === 429
            ? new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${id} failed (HTTP ${status})`, { details })
            : new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${id} refused the request (HTTP ${status})`, { details });
      this.#ctx.peer.fail(request, err);
    };
    res.body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > ERROR_BODY_BYTES) {
        res.body.destroy();
        return finish();
      }
      chunks.push(chunk);
    });
    res.body.on('end', finish);
    res.body.on('close', finish);
  }

  #postOneWay(message: JsonRpcNotification | JsonRpcResponse): void {
    if (this.#closed) return;
    const ac = new AbortController();
    const t = setTimeout(() => ac.abort(), this.#ctx.config.timeouts.connectMs);
    t.unref();
    this.#pool
      .request({ method: 'POST', path: this.#path, headers: this.#headers(message), body: JSON.stringify(message), signal: ac.signal })
      .then(
        (res) => res.body.dump({ limit: ERROR_BODY_BYTES }).catch(() => {}),
        () => {},
      )
      .finally(() => clearTimeout(t));
  }

  /** The optional legacy GET stream: session-level notifications (list_changed, resources/updated). */
  #openGetStream(): void {
    if (this.#closed || !this.#sessionId) return;
    this.#getStream?.abort();
    clearTimeout(this.#getTimer);
    const ac = new AbortController();
    this.#getStream = ac;
    const peer = this.#ctx.peer;
    const headers = this.#headers(undefined);
    headers.accept = 'text/event-stream';
    const retry = () => {
      if (this.#closed || this.#getStream !== ac) return;
      this.#getTimer = setTimeout(() => this.#openGetStream(), this.#getRetryMs);
      this.#getTimer.unref();
      this.#getRetryMs = Math.min(GET_RETRY_MAX_MS, this.#getRetryMs * 2);
    };
    this.#pool.request({ method: 'GET', path: this.#path, headers, signal: ac.signal }).then(
      (res) => {
        const type = String(res.headers['content-type'] ?? '').toLowerCase();
        if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
          res.body.dump().catch(() => {});
          // 405: the server offers no such stream. 404: the session is gone; the next POST renews it.
          if (res.statusCode >= 500) retry();
          return;
        }
        this.#getRetryMs = GET_RETRY_MIN_MS;
        const parser = new SseParser(this.#max, {
          event: (type2, data, size) => {
            if (type2 === 'message') peer.receiveText(data, size);
          },
          oversized: (_t, head, tail, size) => peer.oversized(findTopLevelId(head, tail), size, this.#max),
        });
        res.body.on('data', (chunk: Buffer) => parser.push(chunk));
        res.body.on('error', () => {});
        res.body.on('close', retry);
      },
      () => retry(),
    );
  }

}

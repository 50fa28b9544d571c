/**
 * Relays a provider's SSE stream to the client event by event, as the bytes arrive (no
 * re-serialization), with the client's backpressure, and watches it for usage. The last
 * event (`data: [DONE]`, or the Responses API's final `response.*` event) is held back:
 * the surface writes it after the audit record is committed, so a client that saw the end
 * of a stream knows it was recorded. Ends with a failure instead when the provider breaks
 * the stream, goes quiet, sends an oversized event, or the client goes away (the upstream
 * request is aborted at once in every case).
 */
import { isUtf8 } from 'node:buffer';
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { GatewayError } from '../errors/gateway-error.js';
import { isObject } from '../util/is-object.js';
import type { RequestContext } from '../pipeline/context.js';
import type { LlmEstimate } from './estimate.js';
import type { ModelTarget } from './model-directory.js';
import { AttemptError, type AttemptSignal, type OpenAttempt } from './provider-call.js';
import type { ProviderRuntime } from './provider-runtime.js';
import { scrubSecrets } from './scrub-secrets.js';
import type { LlmRequest } from './request-body.js';
import { ChatStreamTap } from './stream/chat-stream-tap.js';
import { ResponsesStreamTap } from './stream/responses-stream-tap.js';
import { SseEventTooLargeError, SseParser, type SseEvent } from './stream/sse-parser.js';

export interface RelayInput {
  ctx: RequestContext;
  res: ServerResponse;
  req: LlmRequest;
  target: ModelTarget;
  attempt: OpenAttempt;
  provider: ProviderRuntime;
  headers: Record<string, string>;
  estimate: LlmEstimate | undefined;
}

export interface Relayed {
  /** The provider's raw usage object, if it sent one. */
  usage: unknown;
  /** What the client received, as text, for counting when usage is missing. */
  delivered: () => string;
  /** The held-back last event; null when the stream failed. */
  tail: Buffer | null;
  failure: GatewayError | null;
  events: number;
  bytes: number;
  digest: string;
  /** The whole answer rebuilt from the stream (for the response cache), when it finished. */
  assembled: () => object | undefined;
}

export async function relayStream(input: RelayInput): Promise<Relayed> {
  const { res, req, attempt, provider } = input;
  const chat = req.endpoint === 'chat' ? new ChatStreamTap({ clientWantsUsage: req.clientWantsUsage }) : null;
  const responses = chat ? null : new ResponsesStreamTap();
  const observe = (ev: SseEvent): 'forward' | 'drop' | 'done' => (chat ? chat.observe(ev) : responses!.observe(ev));
  const parser = new SseParser({ maxEventBytes: provider.config.maxEventBytes });
  const hash = createHash('sha256');
  let bytes = 0;
  let events = 0;
  let tail: Buffer | null = null;
  let failure: GatewayError | null = null;

  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    'x-accel-buffering': 'no',
    ...input.headers,
  });
  // When the provider's first events are already here, the headers leave with them in one
  // write; otherwise at once.
  const socket = res.socket;
  let uncork: (() => void) | null = null;
  if (socket && attempt.body.readableLength > 0) {
    socket.cork();
    uncork = () => {
      uncork = null;
      socket.uncork();
    };
  }
  res.flushHeaders();

  // Every event forwarded from one upstream read goes out in one write (one chunk, one
  // syscall): a provider's read often holds several events, and a write per event made the
  // socket writes most of a stream's cost.
  const handle = async (list: SseEvent[]): Promise<void> => {
    let batch: Buffer[] | null = null;
    const flush = async (): Promise<void> => {
      if (!batch) return;
      const out = batch.length === 1 ? batch[0]! : Buffer.concat(batch);
      batch = null;
      const more = res.write(out);
      uncork?.();
      if (!more) await drained(res, attempt.signal);
    };
    for (const ev of list) {
      // The scrub reads UTF-8 text: an event it cannot read (UTF-16, binary) is not passed on.
      if (ev.raw.includes(0) || !isUtf8(ev.raw)) {
        await flush();
        throw new GatewayError('UPSTREAM_BAD_RESPONSE', `${provider.config.id}: a stream event that is not UTF-8 text`);
      }
      const verdict = observe(ev);
      if (verdict === 'done') {
        tail = scrubSecrets(ev.raw, provider);
        break; // whatever follows the last event in this read is discarded, like later reads
      }
      if (verdict !== 'forward') continue;
      const out = scrubSecrets(ev.raw, provider);
      bytes += out.length;
      // The taps keep the answer (for counting and the cache): a stream is capped like a whole answer.
      if (bytes > provider.config.maxResponseBytes) {
        await flush();
        throw new GatewayError('UPSTREAM_BAD_RESPONSE', `${provider.config.id}: the stream exceeds ${provider.config.maxResponseBytes} bytes`);
      }
      events++;
      hash.update(out);
      (batch ??= []).push(out);
    }
    await flush();
  };

  try {
    // Not destroyed on break: destroying a body that is about to end costs an AbortError with
    // its stack formatted on every stream; release() lets the end arrive instead.
    for await (const chunk of attempt.body.iterator({ destroyOnReturn: false })) {
      await handle(parser.push(chunk as Buffer));
      uncork?.();
      if (tail) break;
    }
    if (!tail) await handle(parser.end());
    if (!tail) {
      const said = providerError(chat ? chat.error : responses!.error, provider);
      failure = new GatewayError('UPSTREAM_BAD_RESPONSE', said ? `${provider.config.id} sent an error event: ${said}` : `${provider.config.id}: the stream ended before its last event`);
    }
  } catch (err) {
    // The for-await left the body as it was (destroyOnReturn: false) and took its listeners:
    // end it before anything is awaited, or an error on it (a reset, the attempt's abort, its
    // idle timeout) would have no listener and take the process down.
    if (!attempt.body.destroyed) attempt.body.destroy();
    failure = relayFailure(err, attempt, provider.config.id);
    if (err instanceof SseEventTooLargeError) await handle(err.before).catch(() => undefined);
    attempt.abort(new AttemptError('bad-response', failure.message));
  } finally {
    uncork?.();
    attempt.finish();
    if (failure) {
      if (!attempt.body.destroyed) attempt.body.destroy();
    } else release(attempt.body);
  }
  if (failure) {
    tail = null;
    if (chat?.sawDone === false && (input.ctx.abort.aborted || failure.code === 'CLIENT_CLOSED_REQUEST')) {
      failure = new GatewayError('CLIENT_CLOSED_REQUEST', 'The client went away during the stream');
    }
  }
  return {
    usage: chat ? chat.usage : responses!.usage,
    delivered: () => (chat ? chat.deliveredText : responses!.deliveredText),
    tail,
    failure,
    events,
    bytes,
    digest: hash.digest('hex'),
    assembled: () => (chat ? chat.assemble() : responses!.finalResponse),
  };
}

function relayFailure(err: unknown, attempt: OpenAttempt, providerId: string): GatewayError {
  if (err instanceof GatewayError) return err;
  const a = attempt.failure(err);
  if (a.kind === 'aborted-by-client') return new GatewayError('CLIENT_CLOSED_REQUEST', 'The client went away during the stream');
  if (a.kind === 'timeout') return new GatewayError('UPSTREAM_TIMEOUT', a.message);
  if (a.kind === 'reset') return new GatewayError('UPSTREAM_BAD_RESPONSE', `${providerId}: the provider's connection broke mid-stream`);
  return new GatewayError('UPSTREAM_BAD_RESPONSE', `${a.message} (the stream broke)`);
}

/**
 * The message of a provider's error event, for the error the agent and the audit get:
 * scrubbed whole, then cut to 200 characters (cut first, a key across the cut would no longer
 * be whole for the scrub to find, and most of it would pass).
 */
function providerError(error: unknown, provider: ProviderRuntime): string | null {
  const message = isObject(error) && typeof error.message === 'string' ? error.message : typeof error === 'string' ? error : null;
  if (!message) return null;
  return scrubSecrets(Buffer.from(message.slice(0, 64 * 1024)), provider).toString('utf8').slice(0, 200);
}

/**
 * After the last event: the rest of the body (usually only the end of the chunked encoding) is
 * read and discarded, so the connection goes back to the pool; a provider that keeps sending
 * after its last event is cut off after a second.
 */
function release(body: Readable): void {
  if (body.destroyed || body.readableEnded) return;
  const cut = setTimeout(() => body.destroy(), 1000);
  body.once('close', () => clearTimeout(cut));
  // The answer is complete: a reset or the cut-off from here on is nobody's error.
  body.on('error', () => undefined);
  body.resume();
}

/** Waits for the client to take more, or for the attempt to end (client gone, deadline). */
function drained(res: ServerResponse, signal: AttemptSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const done = (err?: unknown): void => {
      res.off('drain', onDrain);
      res.off('error', done);
      signal.off('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onDrain = (): void => done();
    const onAbort = (): void => done(signal.reason);
    res.once('drain', onDrain);
    res.once('error', done);
    signal.once('abort', onAbort);
  });
}

/**
 * One attempt against one provider model: sends the request and returns once the response
 * headers arrived, with the body still unread (a stream is relayed as it comes). Deadlines:
 * first byte (undici's headers timeout), idle between body chunks (its body timeout), and
 * the attempt as a whole (our timer), all aborting the upstream request.
 */
import { EventEmitter } from 'node:events';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { ON_WRITTEN } from '../egress/on-written.js';
import { egressErrorFrom, EgressError } from '../egress/egress-error.js';
import type { Dispatcher } from 'undici';
import type { ProviderRuntime } from './provider-runtime.js';
import type { AbortSource } from '../pipeline/request-abort.js';
import { merged } from '../util/merged.js';

/** `refused`: the gateway's egress rules refused the provider's address (a configuration problem, not an outage). */
export type AttemptFailure = 'timeout' | 'connect' | 'refused' | 'reset' | 'bad-response' | 'aborted-by-client';

/** Why an attempt produced no usable response; `message` is safe to show (origin, never path or headers). */
export class AttemptError extends Error {
  readonly kind: AttemptFailure;
  /** False when the request cannot have reached the provider (no connection was made), so it was not billed. */
  readonly sent: boolean;
  /**
   * True when the provider's whole answer arrived but was unusable (a 2xx that is not JSON: a
   * proxy's error page, say): nothing was cut short, so no model output is left to bill.
   */
  answered = false;
  constructor(kind: AttemptFailure, message: string, cause?: unknown, sent = true) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'AttemptError';
    this.kind = kind;
    this.sent = sent;
  }
}

/**
 * An attempt's abort, as undici's `signal` (it takes an EventEmitter with `aborted` and
 * `reason`): a fraction of an AbortController's cost (about 4 µs per request on the hot path).
 */
export class AttemptSignal extends EventEmitter {
  aborted = false;
  reason: AttemptError | undefined = undefined;
  /** Settles the attempt's pending request with the reason (see openAttempt). */
  settle: ((reason: AttemptError) => void) | null = null;

  abort(reason: AttemptError): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
    this.settle?.(reason);
  }
}

export interface OpenAttempt {
  status: number;
  headers: IncomingHttpHeaders;
  body: Readable;
  /** Ends the attempt's timers and listeners; call once the body is consumed or abandoned. */
  finish(): void;
  /** Aborts the upstream request (client gone, cap passed). */
  abort(reason: AttemptError): void;
  /** The attempt's own abort signal (total deadline, client abort). */
  signal: AttemptSignal;
  /** Maps a body-stream error to an AttemptError. */
  failure(err: unknown): AttemptError;
}

export async function openAttempt(
  provider: ProviderRuntime,
  path: string,
  body: string | Buffer,
  opts: { signal: AbortSource; accept: string; trace?: Readonly<Record<string, string>> },
): Promise<OpenAttempt> {
  const t = provider.config.timeouts;
  const ctl = new AttemptSignal();
  const abort = (r: AttemptError) => ctl.abort(r);
  // Cut short while still waiting for a connection, the request never reached the provider
  // (failure() below marks every such attempt as not sent).
  let written = false;
  const onClientAbort = () => abort(new AttemptError('aborted-by-client', 'the client went away'));
  if (opts.signal.aborted) throw new AttemptError('aborted-by-client', 'the client went away', undefined, false);
  opts.signal.onAbort(onClientAbort);
  const timer = setTimeout(() => abort(new AttemptError('timeout', `${provider.config.id}: no complete answer within ${t.totalMs} ms`)), t.totalMs);
  // The first-byte limit on a timer of its own, from the moment the request was written:
  // undici's headersTimeout (kept as a backstop) runs on a coarse clock that let a 1.5 s
  // limit pass at 2 s.
  let firstByte: NodeJS.Timeout | undefined;
  const onWritten = (): void => {
    written ||= !ctl.aborted;
    if (firstByte === undefined && !ctl.aborted) {
      firstByte = setTimeout(() => abort(new AttemptError('timeout', `${provider.config.id}: no response headers within ${t.firstByteMs} ms`)), t.firstByteMs);
    }
  };
  const finish = () => {
    clearTimeout(timer);
    clearTimeout(firstByte);
    opts.signal.offAbort(onClientAbort);
  };
  const failure = (err: unknown): AttemptError => {
    const e = classify(err);
    // Whatever the failure, a request never written to a connection cannot have been billed
    // (a reset or a certificate refused during the TLS handshake, say).
    return e.sent && !written ? new AttemptError(e.kind, e.message, e.cause, false) : e;
  };
  const classify = (err: unknown): AttemptError => {
    if (ctl.reason) return ctl.reason;
    if (err instanceof AttemptError) return err;
    if (isIdleTimeout(err)) return new AttemptError('timeout', `${provider.config.id}: nothing received for ${t.idleMs} ms`, err);
    const e = egressErrorFrom(err, provider.origin, { connectMs: t.connectMs, firstByteMs: t.firstByteMs });
    if (!e) return new AttemptError('bad-response', `${provider.config.id}: ${(err as Error)?.message ?? 'request failed'}`, err);
    return fromEgress(e, provider, err);
  };
  try {
    const pending = provider.dispatcher.request({
      method: 'POST',
      path: provider.basePath + path + provider.query,
      // Answers are relayed as they come: a compressed stream would have to be decoded first.
      headers: merged<Record<string, string>>(opts.trace, provider.headers, { 'content-type': 'application/json', accept: opts.accept, 'accept-encoding': 'identity' }),
      body,
      signal: ctl,
      headersTimeout: t.firstByteMs,
      bodyTimeout: t.idleMs,
      [ON_WRITTEN]: onWritten,
    } as Parameters<Dispatcher['request']>[0]);
    // undici acts on an abort only once a request reaches a connection: one queued behind busy
    // connections would hold its caller past every deadline (egress/settle-on-abort.ts, in
    // one slot of the signal instead of a listener: this runs for every attempt).
    const res = await new Promise<Dispatcher.ResponseData<unknown>>((resolve, reject) => {
      ctl.settle = reject;
      pending.then(resolve, reject);
    });
    clearTimeout(firstByte);
    return { status: res.statusCode, headers: res.headers, body: res.body, finish, abort, signal: ctl, failure };
  } catch (err) {
    finish();
    throw failure(err);
  }
}

function fromEgress(e: EgressError, provider: ProviderRuntime, cause: unknown): AttemptError {
  const id = provider.config.id;
  switch (e.code) {
    case 'EGRESS_TIMEOUT':
      return new AttemptError('timeout', `${id}: ${e.phase === 'first-byte' ? 'no response headers' : 'no connection'} in time`, cause, e.phase !== 'connect');
    case 'EGRESS_CONNECT': {
      const reset = e.reason === 'ECONNRESET' || e.reason === 'UND_ERR_SOCKET';
      return new AttemptError(reset ? 'reset' : 'connect', `${id}: connection failed (${e.reason ?? 'error'})`, cause, reset);
    }
    case 'EGRESS_DNS':
      return new AttemptError('connect', `${id}: ${e.message}`, cause, false);
    case 'EGRESS_ADDRESS_REFUSED':
    case 'EGRESS_ORIGIN_REFUSED':
      return new AttemptError('refused', `${id}: ${e.message}`, cause, false);
    default:
      return new AttemptError('bad-response', `${id}: ${e.message}`, cause);
  }
}

/** undici's body timeout (no bytes for idleMs) as the attempt failure it is. */
export function isIdleTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === 'UND_ERR_BODY_TIMEOUT';
}

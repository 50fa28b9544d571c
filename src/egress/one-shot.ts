import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { EgressError, egressErrorFrom } from './egress-error.js';
import { ACCEPT_ENCODING, readCapped } from './read-capped.js';
import { ON_WRITTEN } from './on-written.js';
import { settleOnAbort } from './settle-on-abort.js';
import { withQueryPairs } from '../util/query-pair.js';

export interface EgressTimeouts {
  /** Resolving, connecting and TLS (used when the target sets no connectTimeoutMs). */
  connectMs: number;
  /**
   * From the request being written on a connection to the end of the response headers.
   * undici's parser timers tick every half second, so this one fires up to a second late.
   */
  firstByteMs: number;
  /** From the call to the last byte of the body, redirects included. */
  totalMs: number;
}

export interface EgressRequest {
  method: string;
  /** Path and query, starting with '/'. */
  path: string;
  /** Sent as given (Host excepted: it is the origin's); Accept-Encoding added unless present. */
  headers: Record<string, string>;
  /** FormData (the global one) is sent as multipart/form-data with its own boundary (a Content-Type given is replaced). */
  body?: string | Uint8Array | FormData;
  signal?: AbortSignal;
  timeouts: EgressTimeouts;
  /** Largest response body accepted, counted after decoding. */
  maxBytes: number;
  /** 'same-origin': follow up to 5 redirects within the origin (each new connection checked again); another origin is refused. */
  redirects: 'none' | 'same-origin';
  /**
   * Query pairs (`name=value`, encoded) that every redirect target carries too, replacing any
   * of the same name in its Location: credentials sent in the query, which a Location need
   * not repeat (headers, and with them header credentials, are sent again as they are).
   */
  keepQuery?: readonly string[];
  /** Called when the request is written to a connection (before that, the server cannot have seen it). */
  onWritten?: () => void;
}

export interface EgressResponse {
  status: number;
  /** Lower-case names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  /** Decoded. */
  body: Buffer;
  /** Where the final response came from (after redirects). */
  url: string;
}

const MAX_REDIRECTS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that describe a body: dropped when a redirect turns the request into a GET. */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location', 'transfer-encoding'];

export async function oneShot(dispatcher: Dispatcher, origin: string, req: EgressRequest): Promise<EgressResponse> {
  if (!req.path.startsWith('/')) throw new EgressError('EGRESS_ORIGIN_REFUSED', 'an egress request path must start with "/"');
  const headers = requestHeaders(req);
  let method = req.method.toUpperCase();
  let body = req.body instanceof FormData ? await multipart(req.body, headers) : req.body;
  let path = req.path;

  const total = new AbortController();
  let callerAborted = false;
  const onCallerAbort = () => {
    callerAborted = true;
    total.abort(req.signal?.reason);
  };
  if (req.signal?.aborted) throw req.signal.reason;
  req.signal?.addEventListener('abort', onCallerAbort, { once: true });
  const totalError = new EgressError('EGRESS_TIMEOUT', `${origin}: no complete response within ${req.timeouts.totalMs} ms`, { phase: 'total' });
  const timer = setTimeout(() => total.abort(totalError), req.timeouts.totalMs);

  const mapError = (err: unknown): unknown => {
    if (callerAborted) return req.signal?.reason ?? err;
    if (total.signal.aborted) return totalError;
    return egressErrorFrom(err, origin, { connectMs: req.timeouts.connectMs, firstByteMs: req.timeouts.firstByteMs }) ?? err;
  };

  try {
    for (let hop = 0; ; hop++) {
      let res: Dispatcher.ResponseData;
      try {
        const pending = dispatcher.request({
          method: method as Dispatcher.HttpMethod,
          path,
          headers,
          body: body ?? null,
          signal: total.signal,
          headersTimeout: req.timeouts.firstByteMs,
          bodyTimeout: 0,
          ...(req.onWritten ? { [ON_WRITTEN]: req.onWritten } : {}),
        } as Dispatcher.RequestOptions);
        res = await settleOnAbort(pending, total.signal);
      } catch (err) {
        throw mapError(err);
      }
      const location = res.headers.location;
      if (req.redirects === 'same-origin' && REDIRECTS.has(res.statusCode) && typeof location === 'string') {
        res.body.dump({ limit: 64 * 1024 }).catch(() => {});
        if (hop === MAX_REDIRECTS) throw new EgressError('EGRESS_BAD_RESPONSE', `${origin}: more than ${MAX_REDIRECTS} redirects`);
        path = withQueryPairs(sameOriginTarget(location, origin, path), req.keepQuery ?? []);
        // As browsers do: 303 turns anything but HEAD into a GET; 301/302 turn a POST into one.
        if ((res.statusCode === 303 && method !== 'HEAD') || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          for (const h of BODY_HEADERS) delete headers[h];
        }
        continue;
      }
      const noBody = method === 'HEAD' || res.statusCode === 204 || res.statusCode === 304;
      const decoded = noBody
        ? (res.body.dump().catch(() => {}), Buffer.alloc(0))
        : await readCapped(res.body, { contentEncoding: headerValue(res.headers['content-encoding']), maxBytes: req.maxBytes, origin, mapError });
      return { status: res.statusCode, headers: flatHeaders(res.headers), body: decoded, url: origin + path };
    }
  } finally {
    clearTimeout(timer);
    req.signal?.removeEventListener('abort', onCallerAbort);
  }
}

function requestHeaders(req: EgressRequest): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) headers[name.toLowerCase()] = value;
  if ('host' in headers) throw new EgressError('EGRESS_ORIGIN_REFUSED', 'the Host header is the origin\'s and cannot be set');
  headers['accept-encoding'] ??= ACCEPT_ENCODING;
  return headers;
}

/**
 * The multipart encoding of a form, with the Content-Type that names its boundary. Encoded
 * once, by the same fetch implementation that made the FormData (the undici package's
 * encoder rejects the global one's parts), so a 307 can send it again.
 */
async function multipart(form: FormData, headers: Record<string, string>): Promise<Uint8Array> {
  const encoded = new Response(form);
  headers['content-type'] = encoded.headers.get('content-type')!;
  return new Uint8Array(await encoded.arrayBuffer());
}

/** The path and query a same-origin Location points at; another origin is refused (credentials stay home). */
function sameOriginTarget(location: string, origin: string, currentPath: string): string {
  let next: URL;
  try {
    next = new URL(location, origin + currentPath);
  } catch {
    throw new EgressError('EGRESS_BAD_RESPONSE', `${origin}: a redirect to an invalid location`);
  }
  if (next.origin !== origin) throw new EgressError('EGRESS_ORIGIN_REFUSED', `${origin}: a redirect to another origin (${next.protocol}//${next.host}) was refused`);
  return next.pathname + next.search;
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v.join(', ') : v;
}

function flatHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    if (value !== undefined) out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

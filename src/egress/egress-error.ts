/**
 * Why an outbound call failed, with a stable code the calling layer (MCP upstream, OpenAPI
 * tool, OAuth token fetch) maps to its own error. Messages name the origin and host at most:
 * never a path, query string or header value, where credentials travel.
 */
export type EgressErrorCode =
  /** Not an http(s) origin, or a redirect (or a request) aimed at another origin. */
  | 'EGRESS_ORIGIN_REFUSED'
  /** The host resolved to an address in a refused range. */
  | 'EGRESS_ADDRESS_REFUSED'
  /** The host resolved to nothing. */
  | 'EGRESS_DNS'
  /** The connection was refused, reset or closed early. */
  | 'EGRESS_CONNECT'
  /** `phase` says which deadline passed. */
  | 'EGRESS_TIMEOUT'
  /** The (decompressed) response passed `maxBytes`; the connection was dropped. */
  | 'EGRESS_TOO_LARGE'
  /** Undecodable content encoding, malformed HTTP, too many redirects. */
  | 'EGRESS_BAD_RESPONSE';

export type EgressTimeoutPhase = 'connect' | 'first-byte' | 'total';

export interface EgressErrorFields {
  /** EGRESS_TIMEOUT: which deadline. */
  phase?: EgressTimeoutPhase;
  /** EGRESS_TOO_LARGE: the cap that was passed. */
  maxBytes?: number;
  /** EGRESS_ADDRESS_REFUSED: the refused block, e.g. `10.0.0.0/8`. */
  range?: string;
  /** The underlying system or undici error code (ECONNREFUSED, UND_ERR_SOCKET, ...). */
  reason?: string;
  cause?: unknown;
}

export class EgressError extends Error {
  readonly code: EgressErrorCode;
  readonly phase: EgressTimeoutPhase | undefined;
  readonly maxBytes: number | undefined;
  readonly range: string | undefined;
  readonly reason: string | undefined;

  constructor(code: EgressErrorCode, message: string, fields: EgressErrorFields = {}) {
    super(message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.name = 'EgressError';
    this.code = code;
    this.phase = fields.phase;
    this.maxBytes = fields.maxBytes;
    this.range = fields.range;
    this.reason = fields.reason;
  }
}

const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);

/**
 * An error from undici or the socket, as an EgressError; `undefined` for errors that are
 * the caller's own (an invalid header name, a bad argument), which are rethrown as they are.
 */
const TLS_FAILURE = /^(ERR_TLS_|ERR_SSL_|EPROTO$)|CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;

/** A failure code of the TLS handshake (certificate, protocol). */
export const isTlsFailure = (code: string | undefined): boolean => code !== undefined && TLS_FAILURE.test(code);

export function egressErrorFrom(err: unknown, origin: string, timeouts?: { connectMs?: number; firstByteMs?: number }): EgressError | undefined {
  if (err instanceof EgressError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') {
    return new EgressError('EGRESS_TIMEOUT', `${origin}: no connection within ${timeouts?.connectMs ?? '?'} ms`, { phase: 'connect', reason: code, cause: err });
  }
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    return new EgressError('EGRESS_TIMEOUT', `${origin}: no response within ${timeouts?.firstByteMs ?? '?'} ms`, { phase: 'first-byte', reason: code, cause: err });
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ENODATA') {
    return new EgressError('EGRESS_DNS', `${origin}: the host could not be resolved (${code})`, { reason: code, cause: err });
  }
  if (CONNECT_CODES.has(code)) return new EgressError('EGRESS_CONNECT', `${origin}: the connection failed (${code})`, { reason: code, cause: err });
  // A TLS handshake that failed (a certificate not trusted, expired or for another name; a
  // server that does not speak TLS): no request was sent.
  if (TLS_FAILURE.test(code)) return new EgressError('EGRESS_CONNECT', `${origin}: the TLS handshake failed (${code})`, { phase: 'connect', reason: code, cause: err });
  if (code.startsWith('HPE_') || code.startsWith('UND_ERR_RES_') || code === 'UND_ERR_INFO') {
    return new EgressError('EGRESS_BAD_RESPONSE', `${origin}: malformed HTTP response (${code})`, { reason: code, cause: err });
  }
  return undefined;
}

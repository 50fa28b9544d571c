import { GatewayError } from '../../errors/gateway-error.js';
import type { ErrorCode } from '../../errors/codes.js';
import type { Secret } from '../../config/secret-ref.js';
import { redactSecrets } from '../../util/redact-secrets.js';

/**
 * One HTTP POST to a token endpoint. The executor builds it on the egress module (with the
 * token endpoint's origin allowed); tests use plain node:http.
 */
export type TokenTransport = (req: {
  url: string;
  headers: Record<string, string>;
  body: string;
  signal: AbortSignal;
}) => Promise<{ status: number; body: Buffer }>;

export type Clock = () => number;

export type TokenErrorReason = 'network' | 'status' | 'oauth-error' | 'bad-response' | 'backoff';

/** A token could not be obtained. The message names the endpoint and status, never a secret or token. */
export class TokenError extends GatewayError {
  readonly reason: TokenErrorReason;
  constructor(code: ErrorCode, reason: TokenErrorReason, message: string, opts: { headers?: Record<string, string>; cause?: unknown } = {}) {
    super(code, message, opts);
    this.name = 'TokenError';
    this.reason = reason;
  }
}

export interface ClientCredentialsOptions {
  tokenUrl: string;
  clientId: Secret;
  clientSecret: Secret;
  scopes?: readonly string[];
  audience?: string;
  resource?: string;
  tokenAuth: 'basic' | 'body';
  transport: TokenTransport;
  clock?: Clock;
  /** Gives up on one token request after this long (the egress has its own timeouts too). */
  fetchTimeoutMs?: number;
}

/** Tokens kept for redaction after they were replaced: upstreams may echo an old one back. */
export const TOKEN_HISTORY = 8;
/** Lifetime assumed when the token endpoint omits expires_in; a 401 refreshes sooner. */
export const DEFAULT_LIFETIME_MS = 3_600_000;
const MAX_SKEW_MS = 30_000;
const BACKOFF_FIRST_MS = 1_000;
const BACKOFF_MAX_MS = 60_000;
const MAX_TOKEN_RESPONSE_BYTES = 64 * 1024;

interface CachedToken {
  value: string;
  generation: number;
  /** A background refresh starts on the first use after this. */
  refreshFrom: number;
  /** Not handed out after this (expiry minus skew). */
  usableUntil: number;
}

/**
 * RFC 6749 §4.4 client credentials grant with a cache: one fetch at a time (callers share
 * it), refreshed in the background once 75% of the lifetime has passed, not used within the
 * last 10% (at most 30 s) of it, and exponential back-off after failures so a broken token
 * endpoint is not hammered by every call.
 */
export class ClientCredentialsTokenSource {
  readonly #opts: ClientCredentialsOptions;
  readonly #clock: Clock;
  #current: CachedToken | null = null;
  #inflight: Promise<CachedToken> | null = null;
  #failure: { error: TokenError; retryAt: number; count: number } | null = null;
  #generation = 0;
  readonly #history: string[] = [];

  constructor(opts: ClientCredentialsOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? Date.now;
  }

  /** The endpoint without query or fragment, for messages. */
  get endpoint(): string {
    const u = new URL(this.#opts.tokenUrl);
    return `${u.origin}${u.pathname}`;
  }

  /** Incremented with every token issued, so holders of `issuedTokens()` know to refresh it. */
  get generation(): number {
    return this.#generation;
  }

  /** The current and up to TOKEN_HISTORY - 1 earlier tokens (for the redactor). */
  issuedTokens(): readonly string[] {
    return this.#history;
  }

  /** A usable access token and its generation (pass it to `invalidate`). */
  async getToken(signal: AbortSignal): Promise<{ value: string; generation: number }> {
    signal.throwIfAborted();
    const now = this.#clock();
    const cur = this.#current;
    if (cur && now < cur.usableUntil) {
      if (now >= cur.refreshFrom && !this.#inflight && !this.#inBackoff(now)) {
        // The waiting caller has a valid token; a failure here only arms the back-off.
        this.#fetch().catch(() => undefined);
      }
      return { value: cur.value, generation: cur.generation };
    }
    if (!this.#inflight && this.#failure && now < this.#failure.retryAt) {
      const f = this.#failure;
      const wait = Math.max(1, Math.ceil((f.retryAt - now) / 1000));
      throw new TokenError(f.error.code, 'backoff', `${f.error.message}; not retried for ${wait} s`, { headers: { 'retry-after': String(wait) } });
    }
    const tok = await raceAbort(this.#inflight ?? this.#fetch(), signal);
    return { value: tok.value, generation: tok.generation };
  }

  /**
   * Drops the cached token after the upstream refused it. With the generation the refused
   * request carried, a token already replaced (by a concurrent 401) is kept.
   */
  invalidate(generation?: number): void {
    if (generation === undefined || this.#current?.generation === generation) this.#current = null;
  }

  #inBackoff(now: number): boolean {
    return this.#failure !== null && now < this.#failure.retryAt;
  }

  #fetch(): Promise<CachedToken> {
    const p = this.#request().then(
      (tok) => {
        this.#inflight = null;
        this.#failure = null;
        this.#current = tok;
        this.#history.push(tok.value);
        if (this.#history.length > TOKEN_HISTORY) this.#history.shift();
        return tok;
      },
      (err: unknown) => {
        this.#inflight = null;
        const error = err instanceof TokenError ? err : new TokenError('UPSTREAM_UNAVAILABLE', 'network', `token endpoint ${this.endpoint} failed`, { cause: err });
        const count = (this.#failure?.count ?? 0) + 1;
        const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (count - 1));
        this.#failure = { error, retryAt: this.#clock() + delay, count };
        throw error;
      },
    );
    this.#inflight = p;
    return p;
  }

  async #request(): Promise<CachedToken> {
    const o = this.#opts;
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (o.scopes && o.scopes.length > 0) form.set('scope', o.scopes.join(' '));
    if (o.audience !== undefined) form.set('audience', o.audience);
    if (o.resource !== undefined) form.set('resource', o.resource);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (o.tokenAuth === 'basic') {
      headers.authorization = basicClientAuth(o.clientId.reveal(), o.clientSecret.reveal());
    } else {
      form.set('client_id', o.clientId.reveal());
      form.set('client_secret', o.clientSecret.reveal());
    }
    const issuedAt = this.#clock();
    let res: { status: number; body: Buffer };
    try {
      res = await o.transport({ url: o.tokenUrl, headers, body: form.toString(), signal: AbortSignal.timeout(o.fetchTimeoutMs ?? 15_000) });
    } catch (err) {
      const code: ErrorCode = err instanceof GatewayError ? err.code : 'UPSTREAM_UNAVAILABLE';
      throw new TokenError(code, 'network', `token endpoint ${this.endpoint} could not be reached`, { cause: err });
    }
    if (res.status !== 200) throw this.#statusError(res);
    const parsed = parseTokenResponse(res.body);
    if (typeof parsed === 'string') throw new TokenError('UPSTREAM_BAD_RESPONSE', 'bad-response', `token endpoint ${this.endpoint}: ${parsed}`);
    const lifetime = parsed.expiresInMs ?? DEFAULT_LIFETIME_MS;
    const skew = Math.min(MAX_SKEW_MS, lifetime * 0.1);
    return {
      value: parsed.accessToken,
      generation: ++this.#generation,
      refreshFrom: issuedAt + lifetime * 0.75,
      usableUntil: issuedAt + lifetime - skew,
    };
  }

  #statusError(res: { status: number; body: Buffer }): TokenError {
    const code: ErrorCode = res.status >= 500 || res.status === 429 ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_BAD_RESPONSE';
    const oauth = oauthErrorSummary(res.body, [this.#opts.clientSecret.reveal(), this.#opts.clientId.reveal(), ...this.#history]);
    const what = oauth === null ? '' : `: ${oauth}`;
    return new TokenError(code, oauth === null ? 'status' : 'oauth-error', `token endpoint ${this.endpoint} answered ${res.status}${what}`);
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `ClientCredentialsTokenSource { endpoint: ${this.endpoint}, generation: ${this.#generation} }`;
  }

  toJSON(): string {
    return `ClientCredentialsTokenSource(${this.endpoint})`;
  }
}

/**
 * RFC 6749 §2.3.1: the id and secret are form-urlencoded before they are joined and base64
 * encoded (a ":" in the id would otherwise split it; servers decode before comparing).
 */
export function basicClientAuth(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`, 'utf8').toString('base64')}`;
}

/** application/x-www-form-urlencoded encoding of one value (space as "+"). */
export function formEncode(value: string): string {
  return new URLSearchParams([['', value]]).toString().slice(1);
}

interface ParsedToken {
  accessToken: string;
  expiresInMs: number | null;
}

/** The successful token response (RFC 6749 §5.1), or why it is unusable (without its content). */
function parseTokenResponse(body: Buffer): ParsedToken | string {
  if (body.length > MAX_TOKEN_RESPONSE_BYTES) return 'the response is too large';
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return 'the response is not JSON';
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'the response is not a JSON object';
  const r = json as Record<string, unknown>;
  const token = r.access_token;
  if (typeof token !== 'string' || token === '') return 'the response has no access_token';
  // It goes into an Authorization header: RFC 6750 b64token characters only.
  if (!/^[A-Za-z0-9\-._~+/]+=*$/.test(token) || token.length > 16_384) return 'the access_token has characters a bearer token may not have';
  // RFC 6749 requires token_type; a missing one is taken as bearer (some servers omit it),
  // anything else (mac, DPoP, ...) cannot be sent as a bearer token.
  if (r.token_type !== undefined && (typeof r.token_type !== 'string' || r.token_type.toLowerCase() !== 'bearer')) {
    return 'the token_type is not bearer';
  }
  let expiresInMs: number | null = null;
  // Some servers send expires_in as a string of digits.
  const exp = typeof r.expires_in === 'string' && /^\d{1,10}$/.test(r.expires_in) ? Number(r.expires_in) : r.expires_in;
  if (typeof exp === 'number' && Number.isFinite(exp) && exp > 0) expiresInMs = Math.max(1_000, exp * 1000);
  return { accessToken: token, expiresInMs };
}

/**
 * `error` and `error_description` of an RFC 6749 §5.2 error body, trimmed and redacted, or
 * null when the body is not one (its text is then not shown at all: it could be anything).
 */
function oauthErrorSummary(body: Buffer, secrets: readonly string[]): string | null {
  if (body.length > MAX_TOKEN_RESPONSE_BYTES) return null;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof json !== 'object' || json === null) return null;
  const { error, error_description: description } = json as Record<string, unknown>;
  if (typeof error !== 'string' || error === '') return null;
  const clean = (s: string, max: number) => redactSecrets(s, secrets).replace(/[^\x20-\x7E]+/g, ' ').trim().slice(0, max);
  const code = clean(error, 64);
  return typeof description === 'string' && description.trim() !== '' ? `${code} (${clean(description, 200)})` : code;
}

/** Waits for a shared promise, or rejects when this caller's signal aborts (the fetch goes on for the others). */
function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e as Error);
      },
    );
  });
}

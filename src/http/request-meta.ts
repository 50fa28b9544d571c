import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PresentedCredential } from '../pipeline/context.js';

export function newRequestId(): string {
  return randomUUID();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** 32 hex digits (122 random bits) from the UUID generator's cached entropy: no syscall per id. */
function randomTraceId(): string {
  return randomUUID().replace(/-/g, '');
}

/** W3C trace context: continue the caller's trace, or start a new one. */
export function traceFrom(req: IncomingMessage): { traceId: string; parentId: string | null } {
  const tp = req.headers.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim());
    if (m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)) return { traceId: m[1]!, parentId: m[2]! };
  }
  return { traceId: randomTraceId(), parentId: null };
}

/**
 * The presented credential: `Authorization: Bearer` or `x-api-key`. Two different
 * credentials in one request (also two different values of one header) are refused
 * (`conflict`) rather than silently picking one. An empty header counts as absent.
 * Read from rawHeaders in one pass: node keeps only the first of two Authorization headers
 * in `req.headers`, which would hide the second.
 */
export function credentialFrom(req: IncomingMessage): PresentedCredential | null | 'conflict' {
  let auth: string | undefined;
  let apiKey: string | null = null;
  const raw = req.rawHeaders as string[] | undefined;
  if (raw) {
    for (let i = 0; i + 1 < raw.length; i += 2) {
      const len = raw[i]!.length;
      if (len !== 13 && len !== 9) continue;
      const name = raw[i]!.toLowerCase();
      if (name !== 'authorization' && name !== 'x-api-key') continue;
      const v = raw[i + 1]!.trim();
      if (v === '') continue;
      if (name === 'authorization') {
        if (auth !== undefined && auth !== v && bearerToken(auth) !== (bearerToken(v) ?? auth)) return 'conflict';
        auth = v;
      } else {
        if (apiKey !== null && apiKey !== v) return 'conflict';
        apiKey = v;
      }
    }
  } else {
    const a = req.headers.authorization?.trim();
    const k = req.headers['x-api-key'];
    const kv = (Array.isArray(k) ? k[0] : k)?.trim();
    if (a) auth = a;
    if (kv) apiKey = kv;
  }
  if (auth !== undefined) {
    const token = bearerToken(auth);
    if (token === null) return apiKey ? 'conflict' : null;
    if (apiKey !== null && apiKey !== token) return 'conflict';
    return { scheme: 'bearer', value: token };
  }
  return apiKey ? { scheme: 'x-api-key', value: apiKey } : null;
}

/** The token of `Bearer <token>` (the scheme in any case, RFC 9110), or null. */
function bearerToken(authorization: string): string | null {
  return /^Bearer[ \t]+(\S+)$/i.exec(authorization)?.[1] ?? null;
}

const CREDENTIAL_PARAMS = new Set(['api_key', 'apikey', 'api-key', 'key', 'token', 'access_token', 'auth', 'authorization', 'x-api-key', 'bearer']);

/**
 * True when the query string carries something that looks like a credential: URLs end up
 * in proxy logs, browser history and referrers, so keys there are refused outright (the
 * MCP spec forbids tokens in the query string).
 */
export function queryCarriesCredential(url: string): boolean {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const params = new URLSearchParams(url.slice(q + 1));
  for (const [name, value] of params) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase())) return true;
    if (value.includes('wdn_') || value.includes('wdnadm_')) return true;
  }
  return false;
}

/** A Warden credential's visible prefix: agent keys (`wdn_`) and generated admin tokens (`wdnadm_`). */
// Case-insensitive: a key's prefix spelt WDN_ is no key, but its secret body is still one.
const CREDENTIAL_MARK = /wdn(adm)?_/i;
const CREDENTIAL_TEXT = /wdn(adm)?_[A-Za-z0-9_-]+/gi;

/**
 * Percent-decodes until nothing changes (at most four rounds, so `%2577dn_` is seen too).
 * Byte-wise and tolerant: a malformed escape elsewhere must not hide an encoded key.
 */
function percentDecoded(text: string): string {
  let out = text;
  for (let i = 0; i < 4 && out.includes('%'); i++) {
    const next = out.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    if (next === out) break;
    out = next;
  }
  return out;
}

const pathPart = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/**
 * True when the URL path, percent-decoded, holds something shaped like a Warden credential.
 * Such requests are refused before anything echoes the path (messages, audit target, logs).
 */
export function pathCarriesCredential(url: string): boolean {
  return CREDENTIAL_MARK.test(percentDecoded(pathPart(url)));
}

/** `text` with every credential-shaped run masked, also one hidden by percent-encoding. */
export function maskCredentials(text: string): string {
  const decoded = percentDecoded(text);
  if (!CREDENTIAL_MARK.test(decoded)) return text;
  return decoded.replace(CREDENTIAL_TEXT, 'wdn_[redacted]');
}

/**
 * The path without the query string, with anything shaped like a Warden credential masked
 * (on the percent-decoded path: `%77dn_...` is a key too): the only form of the URL that is
 * ever logged.
 */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  return maskCredentials(pathPart(url));
}

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
 * credentials in one request are refused (`conflict`) rather than silently picking one.
 */
export function credentialFrom(req: IncomingMessage): PresentedCredential | null | 'conflict' {
  const auth = req.headers.authorization;
  const apiKeyHeader = req.headers['x-api-key'];
  const apiKey = typeof apiKeyHeader === 'string' && apiKeyHeader.trim() !== '' ? apiKeyHeader.trim() : null;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    if (!m) return apiKey ? 'conflict' : null;
    if (apiKey !== null && apiKey !== m[1]) return 'conflict';
    return { scheme: 'bearer', value: m[1]! };
  }
  return apiKey ? { scheme: 'x-api-key', value: apiKey } : null;
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

/**
 * The path without the query string, with anything shaped like a Warden credential masked:
 * the only form of the URL that is ever logged.
 */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  return path.replace(/wdn(adm)?_[A-Za-z0-9_-]+/g, 'wdn_[redacted]');
}

import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PresentedCredential } from '../pipeline/context.js';

export function newRequestId(): string {
  return randomUUID();
}

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/;

/** W3C trace context: continue the caller's trace, or start a new one. */
export function traceFrom(req: IncomingMessage): { traceId: string; parentId: string | null } {
  const tp = req.headers.traceparent;
  if (typeof tp === 'string') {
    const m = TRACEPARENT.exec(tp.trim());
    if (m && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!)) return { traceId: m[1]!, parentId: m[2]! };
  }
  return { traceId: randomBytes(16).toString('hex'), parentId: null };
}

/** Bearer token first, then `x-api-key`. Anything else is no credential. */
export function credentialFrom(req: IncomingMessage): PresentedCredential | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(auth);
    return m ? { scheme: 'bearer', value: m[1]! } : null;
  }
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey.trim() !== '') return { scheme: 'x-api-key', value: apiKey.trim() };
  return null;
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
    if (value.startsWith('wdn_') || value.startsWith('wdnadm_')) return true;
  }
  return false;
}

/** The path without the query string: the only form of the URL that is ever logged. */
export function pathOf(url: string | undefined): string {
  if (!url) return '/';
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/**
 * DNS-rebinding protection for the MCP endpoints. A browser page on evil.example whose
 * name rebinds to 127.0.0.1 can reach a local gateway, but it cannot forge its Origin, and
 * its Host header names evil.example: both are checked before anything else runs.
 */
import { isIP } from 'node:net';

export interface OriginPolicy {
  allowedOrigins: readonly string[];
  allowedHosts: readonly string[];
  listenHost: string;
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

function isLoopbackListen(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

/** Hostname of a Host header value (`name:port`, `[v6]:port`), lowercased. */
function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.lastIndexOf(':');
  return colon < 0 ? h : h.slice(0, colon);
}

export type GuardResult = { ok: true } | { ok: false; reason: string };

export function checkOriginAndHost(policy: OriginPolicy, headers: { origin?: string | undefined; host?: string | undefined }): GuardResult {
  const host = headers.host ?? '';
  if (policy.allowedHosts.length > 0) {
    const h = host.trim().toLowerCase();
    if (!policy.allowedHosts.some((a) => a.toLowerCase() === h || a.toLowerCase() === hostnameOf(h))) return { ok: false, reason: 'Host not allowed' };
  } else if (isLoopbackListen(policy.listenHost)) {
    const name = hostnameOf(host);
    if (!LOOPBACK_NAMES.has(name) && !(isIP(name) === 4 && name.startsWith('127.'))) return { ok: false, reason: 'Host not allowed' };
  }
  const origin = headers.origin;
  if (origin === undefined) return { ok: true };
  if (policy.allowedOrigins.includes(origin)) return { ok: true };
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return { ok: false, reason: 'Origin not allowed' };
  }
  // A page served by the gateway host itself (same origin) on a loopback deployment is fine.
  if (isLoopbackListen(policy.listenHost) && LOOPBACK_NAMES.has(url.hostname.toLowerCase())) return { ok: true };
  if (url.host.toLowerCase() === host.trim().toLowerCase() && !isLoopbackListen(policy.listenHost)) return { ok: true };
  return { ok: false, reason: 'Origin not allowed' };
}

/** Streamable HTTP clients must accept JSON and SSE; an Accept that rules out both is refused. */
export function acceptsMcpResponses(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  const a = accept.toLowerCase();
  return a.includes('application/json') || a.includes('text/event-stream') || a.includes('*/*') || a.includes('application/*');
}

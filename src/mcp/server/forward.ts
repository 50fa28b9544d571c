/**
 * Sends one agent request on to its upstream and brings the answer back, translated for
 * the agent's protocol era. The upstream never sees the agent's credential, its JSON-RPC
 * id or its protocol envelope; the agent never sees another agent's traffic.
 */
import { performance } from 'node:perf_hooks';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc.js';
import { META } from '../protocol/versions.js';
import type { CallContext, MethodOutcome } from './call-context.js';
import { logLevelPasses } from './methods/lifecycle.js';
import { handleServerRequest } from './server-requests.js';

export async function forwardToUpstream(
  c: CallContext,
  upstreamId: string,
  method: string,
  params: Record<string, unknown>,
  details: Record<string, unknown>,
): Promise<MethodOutcome> {
  const upstream = c.deps.directory.upstream(upstreamId);
  if (!upstream || upstream.state !== 'ready') {
    throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${upstreamId} is not available`, { headers: { 'retry-after': '5' } });
  }
  const session = c.payload.session;
  const t0 = performance.now();
  const response = await upstream.request(method, stripEnvelope(params), {
    signal: c.ctx.signal,
    onNotification: (n: JsonRpcNotification) => {
      if (n.method === 'notifications/message' && !logLevelPasses(session?.logLevel ?? null, n.params?.level)) return;
      c.exchange.notify(n);
    },
    onServerRequest: (r: JsonRpcRequest) => handleServerRequest(c, upstream.config, r),
  });
  const upstreamMs = Math.round((performance.now() - t0) * 1000) / 1000;
  const base = { ...details, upstream: upstreamId, upstreamMs, upstreamBytes: response.bytes, ...dropped(c) };
  if (response.error) return { kind: 'upstream-error', error: response.error, details: { ...base, upstreamError: response.error.code } };
  const result = response.result ?? {};
  return { kind: 'result', result, details: { ...base, ...(result.isError === true ? { isError: true } : {}) } };
}

function dropped(c: CallContext): Record<string, unknown> {
  return c.exchange.dropped > 0 ? { notificationsDropped: c.exchange.dropped } : {};
}

/** The agent's own protocol envelope stays at the gateway; progress tokens, trace context and other `_meta` go on. */
function stripEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (meta === null || typeof meta !== 'object') return params;
  const kept: Record<string, unknown> = {};
  let changed = false;
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.startsWith('io.modelcontextprotocol/') && k !== 'io.modelcontextprotocol/related-task') changed = true;
    else kept[k] = v;
  }
  if (!changed) return params;
  const { _meta: _drop, ...rest } = params;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}

export { META };

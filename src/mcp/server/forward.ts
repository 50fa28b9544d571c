/**
 * Sends one agent request on to its upstream and brings the answer back, translated for
 * the agent's protocol era. The upstream never sees the agent's credential, its JSON-RPC
 * id or its protocol envelope; the agent never sees another agent's traffic.
 */
import { performance } from 'node:perf_hooks';
import { GatewayError, toGatewayError } from '../../errors/gateway-error.js';
import { ForwardFailure } from '../../pipeline/policy.js';
import { ClientAnswerError, type JsonRpcErrorObject, type JsonRpcNotification, type JsonRpcRequest } from '../jsonrpc.js';
import { META } from '../protocol/versions.js';
import { outboundTrace } from '../../loops/hop-chain.js';
import type { CallContext, MethodOutcome } from './call-context.js';
import { logLevelPasses } from './methods/lifecycle.js';
import { auditServerRequest, decideServerRequest, handleServerRequest } from './server-requests.js';
import type { UpstreamConfig } from '../../config/mcp-schema.js';

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
  let dispatched = false;
  const options = {
    signal: c.ctx.abort.signal,
    onDispatched: () => void (dispatched = true),
    onNotification: (n: JsonRpcNotification) => {
      if (n.method === 'notifications/message' && !logLevelPasses(session?.logLevel ?? null, n.params?.level)) return;
      c.exchange.notify(n);
    },
    onServerRequest: (r: JsonRpcRequest) => handleServerRequest(c, upstream.config, r),
  };
  let outbound = withTrace(withLogLevel(stripEnvelope(params), session?.logLevel ?? null), c);
  let bytes = 0;
  let rounds = 0;
  try {
    for (;;) {
      const response = await upstream.request(method, outbound, options);
      bytes += response.bytes;
      const upstreamMs = Math.round((performance.now() - t0) * 1000) / 1000;
      const base = { ...details, upstream: upstreamId, upstreamMs, upstreamBytes: bytes, ...(rounds > 0 ? { inputRounds: rounds } : {}), ...dropped(c) };
      if (response.error) return { kind: 'upstream-error', error: upstreamError(response.error, upstreamId), details: { ...base, upstreamError: response.error.code } };
      const result = response.result ?? {};
      if (result.resultType === 'input_required') {
        // 2026-07-28 multi round-trip: the upstream needs client input (sampling, elicitation, roots).
        const requests = inputRequestsOf(result);
        for (const r of requests) assertInputAllowed(c, upstream.config, r);
        if (c.payload.inbound.era === 'modern') return { kind: 'result', result, details: { ...base, inputRequired: requests.map((r) => r.method) } };
        // A 2025-11-25 client cannot take input_required: ask it with server-to-client requests
        // on this call's stream, then retry the call upstream with the answers.
        if (++rounds > MAX_INPUT_ROUNDS) throw new GatewayError('UPSTREAM_BAD_RESPONSE', `The upstream asked for client input more than ${MAX_INPUT_ROUNDS} times`);
        const inputResponses: Record<string, unknown> = {};
        for (const r of requests) {
          try {
            inputResponses[r.key] = await handleServerRequest(c, upstream.config, { jsonrpc: '2.0', id: r.key, method: r.method, ...(r.params ? { params: r.params } : {}) });
          } catch (err) {
            if (err instanceof ClientAnswerError) throw new GatewayError('BAD_REQUEST', `The client answered ${r.method} with an error: ${err.rpc.message.slice(0, 200)}`);
            throw err;
          }
        }
        outbound = {
          ...outbound,
          inputResponses,
          ...(typeof result.requestState === 'string' ? { requestState: result.requestState } : {}),
        };
        continue;
      }
      return { kind: 'result', result, details: { ...base, ...(result.isError === true ? { isError: true } : {}) } };
    }
  } catch (err) {
    // Once the upstream had the request it may have acted on it (a tool that ran, then timed
    // out or was cancelled): the call counts for budgets as one that answered would.
    if (!dispatched || err instanceof ForwardFailure) throw err;
    const upstreamMs = Math.round((performance.now() - t0) * 1000) / 1000;
    throw new ForwardFailure(toGatewayError(err), { details: { ...details, upstream: upstreamId, upstreamMs, upstreamBytes: bytes, ...dropped(c) } });
  }
}

/**
 * An upstream's JSON-RPC error goes to the agent as the upstream's, never as the gateway's:
 * codes in the gateway's own range (-32010..-32019) and the `data.code`/`data.requestId`
 * the gateway puts on its errors cannot be claimed by an upstream (to fake a quarantine or
 * a policy denial); they are moved aside, and `data.upstream` names the source.
 */
export function upstreamError(e: JsonRpcErrorObject, upstream: string): JsonRpcErrorObject {
  const ours = e.code >= -32019 && e.code <= -32010;
  const data = e.data !== null && typeof e.data === 'object' && !Array.isArray(e.data) ? { ...(e.data as Record<string, unknown>) } : e.data === undefined ? {} : { value: e.data };
  const d = data as Record<string, unknown>;
  if ('code' in d) {
    d.upstreamDataCode = d.code;
    delete d.code;
  }
  if ('requestId' in d) {
    d.upstreamRequestId = d.requestId;
    delete d.requestId;
  }
  if (ours) d.upstreamCode = e.code;
  d.upstream = upstream;
  return { code: ours ? -32603 : e.code, message: e.message, data: d };
}

/** How many input_required rounds one call may take before the gateway gives up. */
const MAX_INPUT_ROUNDS = 8;

interface InputRequest {
  key: string;
  method: string;
  params?: Record<string, unknown>;
}

function inputRequestsOf(result: Record<string, unknown>): InputRequest[] {
  const raw = result.inputRequests;
  if (raw === undefined) return [];
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('UPSTREAM_BAD_RESPONSE', 'inputRequests must be an object');
  return Object.entries(raw as Record<string, unknown>).map(([key, r]) => {
    const req = r as { method?: unknown; params?: unknown } | null;
    if (!req || typeof req.method !== 'string') throw new GatewayError('UPSTREAM_BAD_RESPONSE', 'an input request has no method');
    return { key, method: req.method, ...(req.params && typeof req.params === 'object' ? { params: req.params as Record<string, unknown> } : {}) };
  });
}

/** input_required passed through to a 2026-07-28 client still obeys the upstream's sampling/elicitation settings. */
function assertInputAllowed(c: CallContext, upstream: UpstreamConfig, r: InputRequest): void {
  const decision = decideServerRequest(c, upstream, { jsonrpc: '2.0', id: r.key, method: r.method, ...(r.params ? { params: r.params } : {}) }, true);
  if (c.payload.inbound.era === 'modern' || !decision.allowed) auditServerRequest(c, upstream.id, r.method, decision);
  if (!decision.allowed) throw new GatewayError('FORBIDDEN', decision.reason);
}

/** 2026-07-28 upstreams take the log level per request; a 2025-11-25 session set it with logging/setLevel. */
function withLogLevel(params: Record<string, unknown>, level: string | null): Record<string, unknown> {
  if (level === null) return params;
  const meta = (params._meta && typeof params._meta === 'object' ? params._meta : {}) as Record<string, unknown>;
  if (meta[META.logLevel] !== undefined) return params;
  return { ...params, _meta: { ...meta, [META.logLevel]: level } };
}

function dropped(c: CallContext): Record<string, unknown> {
  return c.exchange.dropped > 0 ? { notificationsDropped: c.exchange.dropped } : {};
}

/**
 * The gateway's trace context, in `_meta` (and, on HTTP wires, in headers): a new span of the
 * request's trace and the agent hop chain with the calling agent appended, replacing whatever
 * the agent sent, so an upstream that is itself an agent carries the chain back.
 */
function withTrace(params: Record<string, unknown>, c: CallContext): Record<string, unknown> {
  const p = c.ctx.principal;
  if (p?.kind !== 'agent') return params;
  const meta = (params._meta && typeof params._meta === 'object' ? params._meta : {}) as Record<string, unknown>;
  return { ...params, _meta: { ...meta, ...outboundTrace(c.ctx.traceId, c.ctx.hops, p.agentId) } };
}

/** Reserved `_meta` keys that describe the request rather than the client, so they travel on. */
const FORWARDED_META: ReadonlySet<string> = new Set(['io.modelcontextprotocol/related-task', META.logLevel]);

/** The agent's own protocol envelope stays at the gateway; progress tokens, trace context and other `_meta` go on. */
function stripEnvelope(params: Record<string, unknown>): Record<string, unknown> {
  const meta = params._meta;
  if (meta === null || typeof meta !== 'object') return params;
  const kept: Record<string, unknown> = {};
  let changed = false;
  for (const [k, v] of Object.entries(meta as Record<string, unknown>)) {
    if (k.startsWith('io.modelcontextprotocol/') && !FORWARDED_META.has(k)) changed = true;
    else kept[k] = v;
  }
  if (!changed) return params;
  const { _meta: _drop, ...rest } = params;
  return Object.keys(kept).length > 0 ? { ...rest, _meta: kept } : rest;
}


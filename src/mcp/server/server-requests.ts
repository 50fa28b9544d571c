/**
 * Requests an upstream sends to the client while serving a call: sampling, elicitation,
 * roots. Sampling spends the agent's model budget and elicitation can ask the human for
 * secrets, so both are refused unless the upstream is configured to allow them, and each
 * decision is audited. Allowed ones go to the agent on the call's own stream (2025-11-25
 * sessions only; 2026-07-28 clients get input_required results instead, passed through).
 */
import { randomBytes } from 'node:crypto';
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcRequest } from '../jsonrpc.js';
import type { CallContext } from './call-context.js';
import { seeksSecret } from './secret-seeking.js';

/** How long the agent has to answer a forwarded sampling or elicitation request. */
const CLIENT_ANSWER_TIMEOUT_MS = 120_000;

export async function handleServerRequest(c: CallContext, upstream: UpstreamConfig, r: JsonRpcRequest): Promise<Record<string, unknown>> {
  const decision = decideServerRequest(c, upstream, r, false);
  auditServerRequest(c, upstream.id, r.method, decision);
  if (!decision.allowed) throw new GatewayError('FORBIDDEN', decision.reason);
  const session = c.payload.session!;
  const id = `wdn-${randomBytes(9).toString('base64url')}`;
  return new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => {
      session.awaiting.delete(id);
      reject(new GatewayError('UPSTREAM_TIMEOUT', `The client did not answer ${r.method} in time`));
    }, CLIENT_ANSWER_TIMEOUT_MS);
    timer.unref();
    const onAbort = () => {
      clearTimeout(timer);
      session.awaiting.delete(id);
      reject(new GatewayError('CLIENT_CLOSED_REQUEST', 'The call was cancelled'));
    };
    c.ctx.abort.onAbort(onAbort);
    session.awaiting.set(id, {
      resolve: (result) => {
        clearTimeout(timer);
        c.ctx.abort.offAbort(onAbort);
        session.awaiting.delete(id);
        resolve(result);
      },
      reject: (err) => {
        clearTimeout(timer);
        c.ctx.abort.offAbort(onAbort);
        session.awaiting.delete(id);
        reject(err);
      },
    });
    const sent = c.exchange.notify({ jsonrpc: '2.0', id, method: r.method, ...(r.params ? { params: r.params } : {}) } as { method: string }, false);
    if (!sent) session.awaiting.get(id)?.reject(new GatewayError('UPSTREAM_UNAVAILABLE', 'The client stream is closed'));
  });
}

/**
 * Whether the agent may be asked this. `passThrough`: the request rides in an input_required
 * result to a 2026-07-28 client (no session needed); otherwise it goes to a session client.
 */
export function decideServerRequest(c: CallContext, upstream: UpstreamConfig, r: JsonRpcRequest, passThrough: boolean): { allowed: boolean; reason: string } {
  const session = c.payload.session;
  const caps = session?.clientCapabilities ?? c.payload.inbound.clientCapabilities ?? {};
  switch (r.method) {
    case 'sampling/createMessage':
      if (!upstream.allowSampling) return { allowed: false, reason: `Sampling requests from upstream ${upstream.id} are not allowed` };
      if (!caps.sampling) return { allowed: false, reason: 'The client does not support sampling' };
      break;
    case 'elicitation/create': {
      if (!upstream.allowElicitation) return { allowed: false, reason: `Elicitation requests from upstream ${upstream.id} are not allowed` };
      if (!caps.elicitation) return { allowed: false, reason: 'The client does not support elicitation' };
      const p = r.params ?? {};
      if (p.mode !== 'url' && seeksSecret(p.message, p.requestedSchema)) {
        return { allowed: false, reason: 'Elicitation asking the user for credentials or secrets is blocked' };
      }
      break;
    }
    case 'roots/list':
      return { allowed: false, reason: 'The gateway does not expose the client\'s roots to upstreams' };
    default:
      return { allowed: false, reason: `Server-to-client method ${r.method} is not supported` };
  }
  if (!session && !passThrough) return { allowed: false, reason: 'Server-to-client requests need a 2025-11-25 session' };
  return { allowed: true, reason: 'allowed by upstream configuration' };
}

export function auditServerRequest(c: CallContext, upstream: string, method: string, d: { allowed: boolean; reason: string }): void {
  const p = c.ctx.principal;
  c.deps.audit
    .append({
      time: Date.now(),
      requestId: c.ctx.requestId,
      traceId: c.ctx.traceId,
      parentId: c.ctx.parentId,
      agentId: p?.kind === 'agent' ? p.agentId : null,
      keyId: p?.kind === 'agent' ? p.keyId : null,
      channel: 'mcp',
      action: method,
      target: `${upstream}`,
      decision: d.allowed ? 'allow' : 'deny',
      policy: 'server-request',
      code: d.allowed ? null : 'FORBIDDEN',
      reason: d.reason,
      status: null,
      latencyMs: null,
      tokensIn: null,
      tokensOut: null,
      costUsd: null,
      requestDigest: null,
      responseDigest: null,
      requestBytes: null,
      responseBytes: null,
      path: [{ policy: 'server-request', decision: d.allowed ? 'allow' : 'deny', ms: 0 }],
      details: { upstream, toolCall: c.ctx.target },
    })
    .catch((err: unknown) => c.ctx.log.error({ err }, 'audit of a server-to-client request failed'));
}

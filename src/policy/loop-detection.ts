/**
 * @module loop-detection: stops agents that loop or run away, from the catalog's `loops`
 * section: the same call repeated, a repeating cycle of calls with nothing new, a burst far
 * above the agent's own baseline, and (from the trace context) a chain of agent calls that
 * comes back to an agent or grows too deep. Each trip is recorded with its evidence (the ids
 * of the calls), then acted on: warn (record only), throttle (one call a second for the
 * cool-down), block (refuse calls for the cool-down) or suspend (a runtime suspension until
 * an admin resumes the agent).
 */
import { GatewayError } from '../errors/gateway-error.js';
import { argsDigest } from '../loops/args-digest.js';
import type { LoopGuard, LoopTrip } from '../loops/loop-guard.js';
import { callKind, governedName } from '../pipeline/call-kind.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Decision, Policy } from '../pipeline/policy.js';
import type { McpPayload } from '../mcp/server/call-context.js';
import { isObject } from '../util/is-object.js';
import { normalizeUri } from '../mcp/uri-normalize.js';

export interface LoopDetectionDeps {
  loops?: LoopGuard;
  /** Records each trip (audit, log, webhook); never throws. */
  onLoopTrip?: (ctx: RequestContext, agentId: string, trips: LoopTrip[], action: string) => void;
  /** Suspends the agent (action `suspend`); resolves once the suspension is stored. */
  suspendAgent?: (agentId: string, reason: string) => Promise<void>;
  now?: () => number;
}

const ALLOW: Decision = { kind: 'allow' };

export function createLoopDetectionPolicy(deps: LoopDetectionDeps): Policy {
  const now = deps.now ?? Date.now;
  return {
    name: 'loop-detection',
    // Synchronous except when suspending the agent (a state write): most calls trip nothing.
    request(ctx): Decision | Promise<Decision> {
      const guard = deps.loops;
      if (!guard || ctx.principal?.kind !== 'agent' || !ctx.principal.agent.loops) return ALLOW;
      if (callKind(ctx) === null) return ALLOW;
      const agent = ctx.principal.agent;
      const policy = agent.loops!;
      const t = now();

      const cool = guard.coolDown(agent.id, t);
      if (cool?.action === 'block') return refused(agent.id, cool.until - t, 'calls are blocked after a detected loop');
      if (cool?.action === 'throttle' && !guard.takeThrottleSlot(cool, t)) {
        return {
          kind: 'deny',
          error: new GatewayError('RATE_LIMITED', `Agent ${agent.id} is throttled after a detected loop: one call per second until ${new Date(cool.until).toISOString()}`, {
            headers: { 'retry-after': '1' },
          }),
          reason: 'throttled after a loop',
        };
      }

      const trips = guard.observe(agent.id, policy, { requestId: ctx.requestId, target: governedName(ctx) ?? ctx.action, argsDigest: digestOf(ctx), at: t }, ctx.hops);
      if (trips.length === 0) return ALLOW;
      deps.onLoopTrip?.(ctx, agent.id, trips, policy.action);
      const summary = trips.map((x) => x.message).join('; ');
      const coolDownMs = policy.coolDownSeconds * 1000;
      // The hop chain comes from the caller's trace context, which another agent could forge to
      // frame this one: a chain that loops refuses this call, but never blocks or suspends the agent.
      const onlyHops = trips.every((x) => x.rule === 'hop-cycle' || x.rule === 'hop-depth');
      if (onlyHops && policy.action !== 'warn') return refused(agent.id, undefined, summary, trips);
      switch (policy.action) {
        case 'warn':
          return { kind: 'allow', reason: `loop warning: ${trips.map((x) => x.rule).join(', ')}` };
        case 'throttle':
          guard.startCoolDown(agent.id, 'throttle', t + coolDownMs, t);
          return { kind: 'allow', reason: `throttled: ${trips.map((x) => x.rule).join(', ')}` };
        case 'block':
          guard.startCoolDown(agent.id, 'block', t + coolDownMs, t);
          return refused(agent.id, coolDownMs, summary, trips);
        case 'suspend': {
          const suspended = () => refused(agent.id, undefined, `${summary}; the agent is suspended until an admin resumes it`, trips);
          const pending = deps.suspendAgent?.(agent.id, `loop detected: ${summary}`.slice(0, 500));
          return pending ? pending.then(suspended) : suspended();
        }
      }
    },
  };
}

function refused(agentId: string, retryAfterMs: number | undefined, why: string, trips?: LoopTrip[]): Decision {
  const headers: Record<string, string> = {};
  if (retryAfterMs !== undefined && retryAfterMs > 0) headers['retry-after'] = String(Math.ceil(retryAfterMs / 1000));
  return {
    kind: 'deny',
    error: new GatewayError('LOOP_DETECTED', `Loop detected for agent ${agentId}: ${why}`.slice(0, 1000), {
      headers,
      ...(trips ? { details: { rules: trips.map((t) => t.rule) } } : {}),
    }),
    reason: trips ? trips.map((t) => t.rule).join(', ') : 'cool-down after a loop',
  };
}

/**
 * What makes two calls "the same", with the governed name:
 * the canonical form (key order does not matter) of the params that say what the call does,
 * so that a junk member beside them does not make a repeated call look new; for an LLM call
 * the digest of its body (identical requests, identical bytes).
 */
function digestOf(ctx: RequestContext): string {
  if (ctx.channel === 'mcp') {
    const msg = (ctx.payload as McpPayload | undefined)?.inbound?.message;
    const params = (msg && 'params' in msg && isObject(msg.params) ? msg.params : {}) as Record<string, unknown>;
    const keys = IDENTIFYING_PARAMS[ctx.action];
    if (!keys) {
      const { _meta: _ignored, ...rest } = params;
      return argsDigest(rest);
    }
    const picked: Record<string, unknown> = {};
    for (const k of keys) if (params[k] !== undefined) picked[k] = params[k];
    // Many URIs share a governed name (a template's, or a listed name): the URI itself, in its
    // one spelling, tells them apart.
    if (typeof params.uri === 'string') picked.uri = normalizeUri(decodeUnreserved(params.uri));
    return argsDigest(picked);
  }
  return ctx.requestDigest ?? '';
}

/** RFC 3986 6.2.2.2: a percent-encoded unreserved character is that character (`%61b` is `ab`). */
function decodeUnreserved(uri: string): string {
  if (!uri.includes('%')) return uri;
  return uri.replace(/%([0-9A-Fa-f]{2})/g, (esc, hex: string) => {
    const c = String.fromCharCode(parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(c) ? c : esc;
  });
}

/**
 * Per method, the params besides the target that change what the upstream is asked to do
 * (a resource's URI is added normalized). A multi round-trip call's later rounds carry the
 * same arguments and count as repeats: their inputResponses and requestState are the
 * client's to write, so a junk one would otherwise make every repeat look new.
 */
const IDENTIFYING_PARAMS: Readonly<Record<string, readonly string[]>> = {
  'tools/call': ['arguments'],
  'prompts/get': ['arguments'],
  'resources/read': [],
  'completion/complete': ['ref', 'argument', 'context'],
};

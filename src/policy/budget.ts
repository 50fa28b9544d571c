/**
 * @module budget: every budget of the calling agent (and of its owner) that the call's
 * channel is charged to must have room for the call's worst case: LLM calls their
 * estimate (prompt + output x n tokens, at the priciest target), tool calls their configured
 * cost, every call one call. The worst case is reserved in the same synchronous step as the
 * check (no overshoot under concurrency) and settled to the actual usage when the request
 * ends: refunded when nothing was sent, the delivered usage when a stream broke.
 * A budget with `action: clamp` lowers an LLM request's output limit to what still fits
 * instead of refusing it.
 */
import { budgetSpecs } from '../budget/budget-specs.js';
import type { Amount, BudgetLedger, BudgetSpec, Refusal } from '../budget/ledger.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { LlmEstimate } from '../llm/estimate.js';
import type { ModelDirectory } from '../llm/model-directory.js';
import { unlimitedOutput, withEnforcedLimit, type LlmRequest } from '../llm/request-body.js';
import { callKind, governedName, type CallKind } from '../pipeline/call-kind.js';
import type { RequestContext } from '../pipeline/context.js';
import { decideOnExactCount } from './exact-count.js';
import type { Decision, Outcome, Policy } from '../pipeline/policy.js';
import { ESTIMATE_ANNOTATION, estimateOf } from '../llm/estimate.js';

export interface BudgetDeps {
  budgets?: BudgetLedger;
  /** Cost of one call of a tool (config governance.toolCosts). */
  toolCost?: (tool: string) => { usd: number; tokens: number };
  models?: () => ModelDirectory | undefined;
}

const ALLOW: Decision = { kind: 'allow' };
const NO_TOOL_COST = { usd: 0, tokens: 0 };

export function createBudgetPolicy(deps: BudgetDeps): Policy {
  return {
    name: 'budget',
    // Synchronous unless the byte bound does not fit and the prompt must be counted: a promise
    // per request would cost the chain a timeout timer and several allocations for nothing.
    request(ctx): Decision | Promise<Decision> {
      const ledger = deps.budgets;
      if (!ledger || ctx.principal?.kind !== 'agent' || !ctx.principal.agent.budgets) return ALLOW;
      const kind = callKind(ctx);
      if (kind === null) return ALLOW;
      const specs = budgetSpecs(ctx.principal.agent, kind);
      if (specs.length === 0) return ALLOW;
      const estimate = kind === 'llm' ? estimateOf(ctx) : undefined;
      const name = kind === 'tool' ? governedName(ctx) : null;
      const toolCost = name !== null ? (deps.toolCost?.(name) ?? NO_TOOL_COST) : NO_TOOL_COST;
      return decide(ctx, ledger, specs, kind, estimate, toolCost);
    },
  };
}

function decide(
  ctx: RequestContext,
  ledger: BudgetLedger,
  specs: readonly BudgetSpec[],
  kind: CallKind,
  bound: LlmEstimate | undefined,
  toolCost: { usd: number; tokens: number },
  counted = false,
): Decision | Promise<Decision> {
  const agent = (ctx.principal as Extract<RequestContext['principal'], { kind: 'agent' }>).agent;
  let estimate = bound;
  let cost = costOf(kind, estimate, toolCost);
  let r = ledger.admit(specs, cost);
  // Near the limit the byte bound is not good enough: count the prompt, then decide again, once.
  // The count may still not be exact (an unknown encoding, tools, images, input the provider
  // holds), and counting it again gives the same: asking until it is would never end.
  if (!r.ok && estimate && !estimate.exact && !counted) return decideOnExactCount(estimate, (exact) => decide(ctx, ledger, specs, kind, exact, NO_TOOL_COST, true));
  let payload: LlmRequest | undefined;
  // Clamp only for clamping budgets: a deny budget whose room is smaller than the call refuses it.
  if (!r.ok && estimate && r.refusal.dimension !== 'calls' && specs.some((s) => s.action === 'clamp') && ledger.check(specs.filter((s) => s.action === 'deny'), cost) === null) {
    const clamped = clampOutput(ledger, specs, estimate);
    if (clamped) {
      estimate = clamped;
      cost = costOf(kind, estimate, NO_TOOL_COST);
      r = ledger.admit(specs, cost);
      if (r.ok) payload = withEnforcedLimit(ctx.payload as LlmRequest, clamped.maxOutputTokens);
    }
  }
  if (!r.ok) return refuse(agent.id, agent.owner, r.refusal);
  // Reserved for an output limit the client did not set: make the provider keep to it.
  if (!payload && estimate && unlimitedOutput(ctx.payload)) payload = withEnforcedLimit(ctx.payload, estimate.maxOutputTokens);
  const held = r.held;
  const reserved = cost;
  const annotations: Record<string, unknown> = { 'budget.reserved': reserved };
  if (estimate) annotations[ESTIMATE_ANNOTATION] = estimate;
  return {
    kind: 'allow',
    reservation: { settle: (outcome) => ledger.settle(held, actualOf(kind, outcome, reserved)) },
    patch: { annotations, ...(payload ? { payload } : {}) },
    ...(payload ? { reason: `output limited to ${payload.maxOutputTokens} tokens` } : {}),
  };
}

function costOf(kind: CallKind, estimate: LlmEstimate | undefined, tool: { usd: number; tokens: number }): Amount {
  if (kind === 'llm') return { tokens: estimate?.worstCaseTokens ?? 0, usd: estimate?.worstCaseUsd ?? 0, calls: 1 };
  if (kind === 'tool') return { tokens: tool.tokens, usd: tool.usd, calls: 1 };
  return { tokens: 0, usd: 0, calls: 1 };
}

/**
 * What a request ends up costing. Nothing sent: nothing charged. LLM calls: the usage the
 * provider reported (or the gateway counted), nothing when no attempt produced any, and one
 * call. Tools and A2A: their declared cost once the upstream was called.
 */
function actualOf(kind: CallKind, outcome: Outcome, reserved: Amount): Amount {
  if (!outcome.forwarded) return { tokens: 0, usd: 0, calls: 0 };
  if (kind !== 'llm') return reserved;
  const u = outcome.usage;
  return { tokens: (u?.tokensIn ?? 0) + (u?.tokensOut ?? 0), usd: u?.costUsd ?? 0, calls: 1 };
}

/** The largest output limit that fits every clamping budget, or undefined when not even one token does. */
function clampOutput(ledger: BudgetLedger, specs: readonly BudgetSpec[], estimate: LlmEstimate): LlmEstimate | undefined {
  const fits = (m: number) => {
    const e = estimate.withOutputLimit(m);
    const cost = { tokens: e.worstCaseTokens, usd: e.worstCaseUsd ?? 0, calls: 1 };
    return ledger.check(specs, cost) === null;
  };
  if (!fits(1)) return undefined;
  // Worst case grows with the limit: the largest that fits, by bisection.
  let lo = 1;
  let hi = estimate.maxOutputTokens;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return estimate.withOutputLimit(lo);
}

function refuse(agentId: string, owner: string, r: Refusal): Decision {
  const s = r.spec;
  const scope = s.scope === 'agent' ? `agent ${agentId}` : `owner ${owner}`;
  const fmt = (v: number) => (r.dimension === 'usd' ? `$${v.toFixed(6).replace(/\.?0+$/, '')}` : String(v));
  const message =
    r.retryAfterMs === undefined
      ? `Budget "${s.name}" (${scope}, ${s.kind} ${s.window}) cannot fit this call: it needs ${fmt(r.cost)} ${r.dimension} of a ${fmt(r.limit)} limit`
      : `Budget "${s.name}" (${scope}, ${s.kind} ${s.window}) is exhausted: ${fmt(r.used)} of ${fmt(r.limit)} ${r.dimension} used or reserved, this call needs ${fmt(r.cost)}`;
  const headers: Record<string, string> = {};
  if (r.retryAfterMs !== undefined) headers['retry-after'] = String(Math.max(1, Math.ceil(r.retryAfterMs / 1000)));
  return {
    kind: 'deny',
    error: new GatewayError('BUDGET_EXCEEDED', message, {
      headers,
      details: { budget: s.name, scope: s.scope, window: s.window, kind: s.kind, dimension: r.dimension, limit: r.limit, used: r.used },
    }),
    reason: `budget ${s.name}: ${r.dimension}`,
  };
}


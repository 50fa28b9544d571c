/**
 * The budgets a call is charged to, from the calling agent's catalog entry: those of its
 * channel and those on `all`. Owner-scoped budgets share one spend per owner; each agent's
 * own declaration supplies the limits its requests are checked against.
 */
import type { Agent } from '../catalog/index.js';
import type { CallKind } from '../pipeline/call-kind.js';
import type { BudgetSpec } from './ledger.js';

const CHANNEL: Record<CallKind, string> = { llm: 'llm', tool: 'tools', a2a: 'a2a' };
const compiled = new WeakMap<Agent, Map<CallKind, BudgetSpec[]>>();

export function budgetKey(scope: 'agent' | 'owner', agent: { id: string; owner: string }, b: { channel: string; window: string; kind: string }): string {
  return `${scope === 'agent' ? `agent:${agent.id}` : `owner:${agent.owner}`}|${b.channel}|${b.window}|${b.kind}`;
}

/** Every budget of the agent, whatever the channel (status views). */
export function allBudgetSpecs(agent: Agent): BudgetSpec[] {
  return (agent.budgets ?? []).map((b) => ({
    key: budgetKey(b.scope, agent, b),
    name: b.name ?? `${b.window}-${b.channel}`,
    scope: b.scope,
    window: b.window,
    kind: b.kind,
    limits: { ...b.limits },
    softThresholds: b.softThresholds,
    action: b.action,
  }));
}

export function budgetSpecs(agent: Agent, kind: CallKind): BudgetSpec[] {
  let byKind = compiled.get(agent);
  if (!byKind) compiled.set(agent, (byKind = new Map()));
  let specs = byKind.get(kind);
  if (!specs) {
    const all = allBudgetSpecs(agent);
    specs = all.filter((_, i) => {
      const channel = agent.budgets![i]!.channel;
      return channel === 'all' || channel === CHANNEL[kind];
    });
    byKind.set(kind, specs);
  }
  return specs;
}

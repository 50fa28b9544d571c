/**
 * What `warden budgets status` and `GET /admin/budgets` show per budget: limits, spend and
 * reservations in the current window, and what remains. The gateway reads its live ledger;
 * the CLI, when no gateway answers, reads state.db (spend saved within the last second,
 * reservations unknown).
 */
import type { Agent, Catalog } from '../catalog/index.js';
import type { BudgetSpendRow } from '../state/state-store.js';
import { allBudgetSpecs } from './budget-specs.js';
import type { Amount, BudgetSpec } from './ledger.js';
import { calendarWindow, rollingBucketMs, rollingWindowMs } from './windows.js';

export interface BudgetLine {
  agent: string;
  budget: string;
  key: string;
  scope: 'agent' | 'owner';
  channel: string;
  window: string;
  kind: string;
  action: string;
  limits: Partial<Amount>;
  spent: Amount;
  /** null: not known (read from state.db while no gateway answered). */
  reserved: Amount | null;
  remaining: Partial<Amount>;
  windowStart: string;
  /** null for rolling windows, which never reset at once. */
  windowEnd: string | null;
}

export type ReadBudget = (spec: BudgetSpec) => { spent: Amount; reserved: Amount | null; windowStart: number; windowEnd: number | null };

export function budgetLines(catalog: Catalog, agentId: string | undefined, read: ReadBudget): BudgetLine[] {
  const agents: Agent[] = agentId === undefined ? [...catalog.agents.values()] : [catalog.agents.get(agentId)].filter((a): a is Agent => a !== undefined);
  const lines: BudgetLine[] = [];
  for (const agent of agents) {
    allBudgetSpecs(agent).forEach((spec, i) => {
      const s = read(spec);
      const used = { ...s.spent };
      if (s.reserved) for (const d of ['tokens', 'usd', 'calls'] as const) used[d] += s.reserved[d];
      const remaining: Partial<Amount> = {};
      for (const d of ['tokens', 'usd', 'calls'] as const) {
        const limit = spec.limits[d];
        if (limit !== undefined) remaining[d] = Math.max(0, round(limit - used[d]));
      }
      lines.push({
        agent: agent.id,
        budget: spec.name,
        key: spec.key,
        scope: spec.scope,
        channel: agent.budgets![i]!.channel,
        window: spec.window,
        kind: spec.kind,
        action: spec.action,
        limits: spec.limits,
        spent: s.spent,
        reserved: s.reserved,
        remaining,
        windowStart: new Date(s.windowStart).toISOString(),
        windowEnd: s.windowEnd === null ? null : new Date(s.windowEnd).toISOString(),
      });
    });
  }
  return lines;
}

/** A budget's spend in its current window, from saved rows (CLI without a gateway). */
export function readSaved(rows: readonly BudgetSpendRow[], timezone: string, now: number): ReadBudget {
  return (spec) => {
    const spent = { tokens: 0, usd: 0, calls: 0 };
    let from: number;
    let end: number | null;
    if (spec.kind === 'calendar') {
      const w = calendarWindow(now, spec.window, timezone);
      from = w.start;
      end = w.end;
    } else {
      // The ledger's rule: a bucket counts while any part of it is inside the window.
      from = now - rollingWindowMs(spec.window) - rollingBucketMs(spec.window) + 2;
      end = null;
    }
    for (const r of rows) {
      if (r.budgetKey !== spec.key || r.windowStart < from || (spec.kind === 'calendar' && r.windowStart !== from)) continue;
      spent.tokens += r.tokens;
      spent.usd = round(spent.usd + r.usd);
      spent.calls += r.calls;
    }
    return { spent, reserved: null, windowStart: spec.kind === 'calendar' ? from : now - rollingWindowMs(spec.window), windowEnd: end };
  };
}

function round(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}

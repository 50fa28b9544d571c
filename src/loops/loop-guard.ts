/**
 * Loop detection state of the running gateway: one call history per agent (pruned when the
 * agent goes quiet), hop-chain checks, and the cool-downs that `throttle` and `block`
 * leave behind. Decides; the loop-detection policy turns decisions into answers.
 */
import type { LoopsPolicy } from '../catalog/index.js';
import { AgentCallHistory } from './agent-call-history.js';
import type { HopChain } from './hop-chain.js';
import { rulesFrom } from './rules.js';
import type { CallRecord, LoopRules, Trip } from './types.js';

export type LoopAction = LoopsPolicy['action'];

/** A detector's trip, or the hop chain's. */
export interface LoopTrip {
  rule: Trip['rule'] | 'hop-cycle' | 'hop-depth';
  message: string;
  /** Request ids of the calls that make the evidence (the agents of the chain for hop rules are in details). */
  evidence: string[];
  details: Record<string, unknown>;
}

export interface CoolDown {
  action: 'throttle' | 'block';
  until: number;
  /** Throttle: when the last call was let through. */
  lastAllowedAt: number;
}

/** Under `throttle`, one call per this many milliseconds gets through. */
export const THROTTLE_INTERVAL_MS = 1_000;
/** Histories of agents quiet this long are dropped (longer than any detector window). */
const IDLE_MS = 30 * 60_000;

const rulesCache = new WeakMap<LoopsPolicy, LoopRules>();

export class LoopGuard {
  readonly #histories = new Map<string, AgentCallHistory>();
  readonly #coolDowns = new Map<string, CoolDown>();

  /** The cool-down the agent is in at `now`, if any. */
  coolDown(agentId: string, now: number): CoolDown | undefined {
    const c = this.#coolDowns.get(agentId);
    if (c && c.until <= now) {
      this.#coolDowns.delete(agentId);
      return undefined;
    }
    return c;
  }

  /** Throttled agents get one call per interval; true when this one may pass. */
  takeThrottleSlot(c: CoolDown, now: number): boolean {
    if (now - c.lastAllowedAt < THROTTLE_INTERVAL_MS) return false;
    c.lastAllowedAt = now;
    return true;
  }

  /** Checks a call against the hop chain and the agent's history, then records it. */
  observe(agentId: string, policy: LoopsPolicy, call: CallRecord, chain: HopChain): LoopTrip[] {
    const trips: LoopTrip[] = [];
    if (chain.hops.includes(agentId)) {
      trips.push({
        rule: 'hop-cycle',
        message: `Agent ${agentId} is already in this request's chain (${[...chain.hops, agentId].join(' → ')})`,
        evidence: [call.requestId],
        details: { chain: chain.hops },
      });
    }
    const depth = chain.hops.length + 1;
    if (chain.overflow || depth > policy.maxHopDepth) {
      trips.push({
        rule: 'hop-depth',
        message: `The chain of agent calls is ${chain.overflow ? 'longer than can be carried' : `${depth} hops deep`}, above the limit of ${policy.maxHopDepth}`,
        evidence: [call.requestId],
        details: { chain: chain.hops, depth, maxHopDepth: policy.maxHopDepth },
      });
    }
    let history = this.#histories.get(agentId);
    if (!history) this.#histories.set(agentId, (history = new AgentCallHistory()));
    let rules = rulesCache.get(policy);
    if (!rules) rulesCache.set(policy, (rules = rulesFrom(policy)));
    for (const t of history.observe(call, rules)) trips.push(t);
    return trips;
  }

  /** Starts (or extends) a cool-down after a trip. */
  startCoolDown(agentId: string, action: 'throttle' | 'block', until: number, now: number): void {
    const c = this.#coolDowns.get(agentId);
    if (c && c.action === 'block' && action === 'throttle') {
      c.until = Math.max(c.until, until);
      return;
    }
    this.#coolDowns.set(agentId, { action, until: Math.max(until, c?.until ?? 0), lastAllowedAt: now });
  }

  /** Forgets an agent's history and cool-down (resumed after a suspension, or reset by an admin). */
  clear(agentId: string): void {
    this.#histories.delete(agentId);
    this.#coolDowns.delete(agentId);
  }

  /** Drops the histories of agents that stopped calling. Called from a timer. */
  prune(now: number): void {
    for (const [id, h] of this.#histories) if ((h.lastCallAt ?? 0) < now - IDLE_MS) this.#histories.delete(id);
    for (const [id, c] of this.#coolDowns) if (c.until <= now) this.#coolDowns.delete(id);
  }
}

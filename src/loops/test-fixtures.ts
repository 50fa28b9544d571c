import { AgentCallHistory } from './agent-call-history.js';
import type { LoopRules, Trip } from './types.js';

/**
 * Drives one AgentCallHistory with a fake clock. Request ids are r1, r2, ... in call order, so
 * evidence reads as the calls' positions. A call's arguments are named by a short string.
 */
export class FakeAgent {
  readonly history: AgentCallHistory;
  rules: LoopRules;
  now: number;
  #count = 0;

  constructor(rules: LoopRules, opts: { maxCalls?: number; now?: number } = {}) {
    this.rules = rules;
    this.history = new AgentCallHistory(opts.maxCalls === undefined ? {} : { maxCalls: opts.maxCalls });
    this.now = opts.now ?? 1_000_000;
  }

  call(target: string, args = 'same'): Trip[] {
    return this.history.observe({ requestId: `r${++this.#count}`, target, argsDigest: args, at: this.now }, this.rules);
  }

  /** Calls each `target[:args]` in turn; returns the trips of each call. */
  calls(...specs: string[]): Trip[][] {
    return specs.map((spec) => {
      const [target, args] = spec.split(':');
      return this.call(target as string, args);
    });
  }

  advance(ms: number): void {
    this.now += ms;
  }
}

/** r{from}..r{to} inclusive. */
export function ids(from: number, to: number): string[] {
  const out: string[] = [];
  for (let i = from; i <= to; i++) out.push(`r${i}`);
  return out;
}

/** The rules that tripped on each call, e.g. [[], [], ['cycle']]. */
export function rulesTripped(results: Trip[][]): string[][] {
  return results.map((trips) => trips.map((t) => t.rule));
}

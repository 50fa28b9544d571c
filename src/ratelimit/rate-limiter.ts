/**
 * Per-agent rate limits from the catalog's `rateLimits` section: requests and tokens per
 * minute (token buckets) and requests in flight, agent-wide and per matching model or tool
 * glob (a glob's limit is shared by every model or tool it matches). Admission is synchronous,
 * so concurrent requests can never both take the last unit; buckets are per agent, so one
 * agent at its limit never slows another.
 */
import type { Agent } from '../catalog/index.js';
import { globMatcher } from '../catalog/index.js';
import type { CallKind } from '../pipeline/call-kind.js';
import { Bucket } from './bucket.js';

/** One set of limits that applies to a request: the agent's own, or one per-model / per-tool entry. */
export interface LimitRule {
  /** Stable within the agent: `agent`, `model:<glob>`, `tool:<glob>`. */
  readonly key: string;
  /** For messages: "agent", "model gpt-4*", "tool github__*". */
  readonly label: string;
  readonly requestsPerMinute?: number | undefined;
  readonly tokensPerMinute?: number | undefined;
  readonly concurrent?: number | undefined;
}

export interface Refusal {
  rule: LimitRule;
  what: 'requests' | 'tokens' | 'concurrent';
  limit: number;
  /** When a retry could succeed; undefined for concurrency (when a request ends) and for a request larger than the limit (never). */
  retryAfterMs: number | undefined;
}

/** What `x-ratelimit-*` headers report: the tightest applicable bucket. */
export interface BucketView {
  limit: number;
  remaining: number;
  resetMs: number;
}

interface CompiledLimits {
  agentRule: LimitRule | null;
  perModel: Array<{ match: (name: string) => boolean; rule: LimitRule }>;
  perTool: Array<{ match: (name: string) => boolean; rule: LimitRule }>;
}

const compiled = new WeakMap<Agent, CompiledLimits>();

function compile(agent: Agent): CompiledLimits {
  let c = compiled.get(agent);
  if (c) return c;
  const rl = agent.rateLimits;
  c = {
    agentRule: rl ? { key: 'agent', label: 'agent', requestsPerMinute: rl.requestsPerMinute, tokensPerMinute: rl.tokensPerMinute, concurrent: rl.concurrent } : null,
    perModel: Object.entries(rl?.perModel ?? {}).map(([glob, l]) => ({ match: globMatcher([glob]), rule: { key: `model:${glob}`, label: `model ${glob}`, ...l } })),
    perTool: Object.entries(rl?.perTool ?? {}).map(([glob, l]) => ({ match: globMatcher([glob]), rule: { key: `tool:${glob}`, label: `tool ${glob}`, ...l } })),
  };
  compiled.set(agent, c);
  return c;
}

export class RateLimiter {
  readonly #buckets = new Map<string, Bucket>();
  readonly #inFlight = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = () => performance.now()) {
    this.#now = now;
  }

  /** The rules that apply to a call of `kind` aimed at `target` (a model or a tool name). */
  rules(agent: Agent, kind: CallKind, target: string | null): LimitRule[] {
    const c = compile(agent);
    const out: LimitRule[] = [];
    if (c.agentRule) out.push(c.agentRule);
    if (target !== null) {
      const list = kind === 'llm' ? c.perModel : kind === 'tool' ? c.perTool : [];
      for (const e of list) if (e.match(target)) out.push(e.rule);
    }
    return out;
  }

  /**
   * Admits one request against every rule's requests-per-minute and concurrency, or refuses
   * it without taking anything. On admission, `release` must be called once when it ends.
   */
  admitRequest(agentId: string, rules: readonly LimitRule[]): { ok: true; release: () => void; view: BucketView | null } | { ok: false; refusal: Refusal } {
    const now = this.#now();
    for (const rule of rules) {
      if (rule.concurrent !== undefined && (this.#inFlight.get(this.#key(agentId, rule, 'c', rule.concurrent)) ?? 0) >= rule.concurrent) {
        return { ok: false, refusal: { rule, what: 'concurrent', limit: rule.concurrent, retryAfterMs: undefined } };
      }
    }
    const taken: Bucket[] = [];
    let view: BucketView | null = null;
    for (const rule of rules) {
      if (rule.requestsPerMinute === undefined) continue;
      const b = this.#bucket(agentId, rule, 'r', rule.requestsPerMinute, now);
      const r = b.tryTake(1, now);
      if (!r.ok) {
        for (const t of taken) t.adjust(1, now);
        return { ok: false, refusal: { rule, what: 'requests', limit: rule.requestsPerMinute, retryAfterMs: r.retryAfterMs } };
      }
      taken.push(b);
      view = tighter(view, viewOf(b, now));
    }
    const slots: string[] = [];
    for (const rule of rules) {
      if (rule.concurrent === undefined) continue;
      const key = this.#key(agentId, rule, 'c', rule.concurrent);
      this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
      slots.push(key);
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      for (const key of slots) {
        const n = (this.#inFlight.get(key) ?? 1) - 1;
        if (n <= 0) this.#inFlight.delete(key);
        else this.#inFlight.set(key, n);
      }
    };
    return { ok: true, release, view };
  }

  /**
   * Takes a token estimate from every rule's tokens-per-minute bucket, or refuses without
   * taking anything. `settle(actual)` then gives back what was not used or takes the excess;
   * `settle(undefined)` keeps the estimate (usage unknown).
   */
  admitTokens(agentId: string, rules: readonly LimitRule[], tokens: number): { ok: true; settle: (actual: number | undefined) => void; view: BucketView | null } | { ok: false; refusal: Refusal } {
    const now = this.#now();
    const taken: Bucket[] = [];
    let view: BucketView | null = null;
    for (const rule of rules) {
      if (rule.tokensPerMinute === undefined) continue;
      const b = this.#bucket(agentId, rule, 't', rule.tokensPerMinute, now);
      const tooLarge = tokens > rule.tokensPerMinute;
      const r = tooLarge ? null : b.tryTake(tokens, now);
      if (!r || !r.ok) {
        for (const t of taken) t.adjust(tokens, now);
        return { ok: false, refusal: { rule, what: 'tokens', limit: rule.tokensPerMinute, retryAfterMs: r && !r.ok ? r.retryAfterMs : undefined } };
      }
      taken.push(b);
      view = tighter(view, viewOf(b, now));
    }
    let settled = false;
    const settle = (actual: number | undefined) => {
      if (settled || actual === undefined) return;
      settled = true;
      const t = this.#now();
      for (const b of taken) b.adjust(tokens - actual, t);
    };
    return { ok: true, settle, view };
  }

  /** Buckets held (for tests and the admin view). */
  get size(): number {
    return this.#buckets.size;
  }

  /** Forgets full buckets: an idle agent costs no memory. Called from a timer. */
  prune(): void {
    const now = this.#now();
    for (const [key, b] of this.#buckets) if (b.full(now)) this.#buckets.delete(key);
  }

  #key(agentId: string, rule: LimitRule, what: string, limit: number): string {
    // The limit is part of the key: a catalog edit that changes it starts a fresh bucket.
    return `${agentId}\u0000${rule.key}\u0000${what}${limit}`;
  }

  #bucket(agentId: string, rule: LimitRule, what: string, limit: number, now: number): Bucket {
    const key = this.#key(agentId, rule, what, limit);
    let b = this.#buckets.get(key);
    if (!b) {
      b = new Bucket(limit, now);
      this.#buckets.set(key, b);
    }
    return b;
  }
}

function viewOf(b: Bucket, now: number): BucketView {
  return { limit: b.perMinute, remaining: Math.max(0, Math.floor(b.level(now))), resetMs: b.resetMs(now) };
}

function tighter(a: BucketView | null, b: BucketView): BucketView {
  return a === null || b.remaining < a.remaining ? b : a;
}

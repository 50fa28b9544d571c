/**
 * Runs a request's attempts: picks the targets of its route (rule, then strategy), skips
 * targets whose circuit is open, and moves on after a failure that another attempt may not
 * repeat (429, 5xx, timeouts, broken connections), with jittered backoff, within the
 * request's deadline. A refusal the request itself caused (400, 404, 422, ...) ends it: the
 * next provider would refuse it too.
 */
import type { LlmConfig } from '../config/llm-schema.js';
import type { ModelTarget, Route } from './model-directory.js';
import { AttemptError, type OpenAttempt } from './provider-call.js';
import type { AbortSource } from '../pipeline/request-abort.js';
import {
  backoffMs,
  CircuitBreaker,
  classifyAttempt,
  countsAgainstBreaker,
  firstMatchingRule,
  LatencyTracker,
  orderCandidates,
  retryAfterMs,
  type AttemptOutcome,
  type RequestShape,
} from './routing/index.js';

/** One attempt as the audit record shows it. */
export interface AttemptRecord {
  provider: string;
  model: string;
  ms: number;
  status?: number;
  error?: string;
  /** Why the gateway refused to connect (`error: 'refused'`): the address and the rule, never a path or header. */
  reason?: string;
  /**
   * The attempt failed after its request may have reached the provider (a timeout waiting for
   * the answer, a connection reset, a broken answer): the provider may bill it all the same.
   */
  billable?: true;
  /** The target was not tried: its circuit is open. */
  skipped?: 'circuit-open';
}

export interface RouterOptions {
  retries: LlmConfig['retries'];
  circuitBreaker: LlmConfig['circuitBreaker'];
  now?: () => number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSource) => Promise<void>;
}

/** What `consume` made of a successful (2xx) or final (request-caused 4xx) response. */
export interface Served<T> {
  target: ModelTarget;
  attempt: OpenAttempt;
  value: T;
  attempts: AttemptRecord[];
  /** 2xx: served; otherwise the provider's own refusal, passed through. */
  ok: boolean;
}

/** Every attempt failed (or none could be made). */
export class RouteExhausted extends Error {
  readonly attempts: AttemptRecord[];
  readonly timedOut: boolean;
  /** When to retry: until the first open circuit may take a probe (every target open), or the last provider's own Retry-After. */
  readonly retryAfterMs: number | undefined;
  /** Every target's address was refused by the egress rules: retrying cannot help until the configuration changes. */
  readonly refused: boolean;
  constructor(message: string, attempts: AttemptRecord[], timedOut: boolean, retryAfter?: number, refused = false) {
    super(message);
    this.name = 'RouteExhausted';
    this.attempts = attempts;
    this.timedOut = timedOut;
    this.retryAfterMs = retryAfter;
    this.refused = refused;
  }
}

/** The client went away while the route ran: the attempts made until then, for its audit record. */
export class ClientGone extends AttemptError {
  readonly attempts: AttemptRecord[];
  constructor(attempts: AttemptRecord[], cause?: unknown) {
    super('aborted-by-client', 'the client went away', cause);
    this.attempts = attempts;
  }
}

export class LlmRouter {
  readonly latency = new LatencyTracker();
  readonly #breakers = new Map<string, CircuitBreaker>();
  readonly #opts: RouterOptions;
  readonly #now: () => number;
  readonly #random: () => number;
  readonly #sleep: (ms: number, signal: AbortSource) => Promise<void>;

  constructor(opts: RouterOptions) {
    this.#opts = opts;
    this.#now = opts.now ?? (() => performance.now());
    this.#random = opts.random ?? Math.random;
    this.#sleep = opts.sleep ?? sleep;
  }

  breaker(target: ModelTarget): CircuitBreaker {
    let b = this.#breakers.get(target.key);
    if (!b) {
      b = new CircuitBreaker({ ...this.#opts.circuitBreaker, now: this.#now });
      this.#breakers.set(target.key, b);
    }
    return b;
  }

  /** The targets in the order attempts try them. */
  plan(route: Route, shape: RequestShape): ModelTarget[] {
    const rule = route.rules.length > 0 ? firstMatchingRule(route.rules, shape) : undefined;
    let targets = rule?.targets ?? route.targets;
    // A target that cannot produce the output asked for would refuse it with a 400, which never
    // falls back: pass it over while another can (the estimate refused a request none can serve).
    const asked = shape.maxOutputTokens;
    if (asked != null && targets.length > 1) {
      const able = targets.filter((t) => t.target.maxOutputTokens === undefined || t.target.maxOutputTokens >= asked);
      if (able.length > 0) targets = able;
    }
    if (targets.length === 1) return [targets[0]!.target];
    const candidates = targets.map((t) => ({ key: t.target.key, weight: t.weight, target: t.target, price: comparablePrice(t.target) }));
    return orderCandidates(candidates, rule?.strategy ?? route.strategy, { random: this.#random, latency: this.latency }).map((c) => c.target);
  }

  /**
   * Tries the targets in order (cycling when there are fewer targets than attempts) until
   * one answers 2xx or refuses the request, and hands that response to `consume` (which
   * reads a JSON body, or returns at once for a stream). A `consume` that throws an
   * AttemptError (the body broke) counts as a failed attempt.
   */
  async run<T>(
    targets: readonly ModelTarget[],
    send: (target: ModelTarget) => Promise<OpenAttempt>,
    consume: (attempt: OpenAttempt, target: ModelTarget) => Promise<T>,
    signal: AbortSource,
    deadline: number,
  ): Promise<Served<T>> {
    const attempts: AttemptRecord[] = [];
    const max = this.#opts.retries.maxAttempts;
    let failures = 0;
    // A provider's Retry-After binds only further attempts at that provider.
    let waitHint: { ms: number; provider: string } | undefined;
    let timedOut = false;
    // Open circuits are passed over (noted once each); a full round of them ends the request.
    let skippedInRow = 0;
    const noted = new Set<ModelTarget>();
    // Targets whose address the egress rules refused: the same refusal would follow every retry.
    let refused: Set<ModelTarget> | undefined;
    for (let i = 0; failures < max && skippedInRow < targets.length; i++) {
      const target = targets[i % targets.length]!;
      if (refused?.has(target)) {
        skippedInRow++;
        continue;
      }
      const breaker = this.breaker(target);
      if (!breaker.tryAcquire()) {
        skippedInRow++;
        if (!noted.has(target)) attempts.push({ provider: target.provider.id, model: target.name, ms: 0, skipped: 'circuit-open' });
        noted.add(target);
        continue;
      }
      skippedInRow = 0;
      if (failures > 0) {
        const hinted = waitHint && waitHint.provider === target.provider.id ? waitHint.ms : 0;
        const wait = Math.max(backoffMs(failures, { ...this.#opts.retries, random: this.#random }), hinted);
        // Not a timeout: the last attempt's own failure (a 429 that asked to wait, say) is what
        // the agent is told, with the provider's Retry-After.
        if (this.#now() + wait >= deadline) {
          breaker.release();
          // The wait is that provider's own Retry-After: a target at another provider may still answer in time.
          if (hinted > 0 && targets.some((t) => t.provider.id !== target.provider.id)) {
            skippedInRow++;
            continue;
          }
          break;
        }
        if (wait > 0) {
          try {
            await this.#sleep(wait, signal);
          } catch {
            breaker.release();
            throw new ClientGone(attempts);
          }
        }
      }
      const t0 = this.#now();
      const rec: AttemptRecord = { provider: target.provider.id, model: target.name, ms: 0 };
      attempts.push(rec);
      let outcome: AttemptOutcome;
      let attempt: OpenAttempt | undefined;
      try {
        attempt = await send(target);
        rec.status = attempt.status;
        outcome = { status: attempt.status };
        const cls = classifyAttempt(outcome);
        if (cls !== 'retry') {
          const value = await consume(attempt, target);
          rec.ms = round(this.#now() - t0);
          if (cls === 'success') {
            breaker.onSuccess();
            this.latency.record(target.key, rec.ms);
          } else breaker.release();
          return { target, attempt, value, attempts, ok: cls === 'success' };
        }
        const ms = retryAfterMs(header(attempt.headers['retry-after']), Date.now(), header(attempt.headers['retry-after-ms']));
        waitHint = ms === undefined ? undefined : { ms, provider: target.provider.id };
        // Not drained: an error body that trickles or never ends would hold the connection.
        attempt.body.on('error', () => {}).destroy();
        attempt.finish();
      } catch (err) {
        attempt?.finish();
        const e = err instanceof AttemptError ? err : new AttemptError('bad-response', (err as Error)?.message ?? 'attempt failed', err);
        if (e.kind === 'aborted-by-client') {
          breaker.release();
          rec.ms = round(this.#now() - t0);
          rec.error = e.kind;
          // Left while the provider had the request (not while it waited for a connection).
          if (e.sent && (rec.status === undefined || rec.status < 300)) rec.billable = true;
          throw new ClientGone(attempts, e);
        }
        rec.error = e.kind;
        // A provider that answered with an error status billed nothing, even if its error body then broke.
        if (e.sent && !e.answered && (e.kind === 'timeout' || e.kind === 'reset' || e.kind === 'bad-response') && (rec.status === undefined || rec.status < 300)) rec.billable = true;
        if (e.kind === 'refused') {
          rec.reason = e.message;
          (refused ??= new Set()).add(target);
        }
        outcome = { error: e.kind };
        waitHint = undefined;
      }
      rec.ms = round(this.#now() - t0);
      if (countsAgainstBreaker(outcome)) breaker.onFailure();
      else breaker.release();
      // A refusal by the egress rules costs neither an attempt nor a backoff: the target is passed over.
      if (!('error' in outcome) || outcome.error !== 'refused') failures++;
      if (this.#now() >= deadline) {
        timedOut = true;
        break;
      }
    }
    // Refused targets are the configuration's fault; the others say whether a retry can help.
    const others = refused ? targets.filter((t) => !refused.has(t)) : targets;
    const tried = attempts.filter((a) => !a.skipped && a.error !== 'refused');
    if (others.length > 0 && tried.length === 0) {
      const probeIn = Math.min(...others.map((t) => this.breaker(t).msUntilProbe()));
      throw new RouteExhausted('Every provider for this model is failing (circuit open); retry later', attempts, false, probeIn);
    }
    if (others.length === 0) {
      throw new RouteExhausted(
        "The gateway may not connect to this model's provider: its address is outside what the gateway's egress rules allow (the operator's configuration; see the gateway log)",
        attempts,
        false,
        undefined,
        true,
      );
    }
    const last = tried[tried.length - 1]!;
    const timeout = timedOut || last.error === 'timeout';
    const what = last.error ?? `HTTP ${last.status}`;
    // The last provider's own Retry-After (a 429 or 503 that said when) goes to the agent; else,
    // when this request's failures opened every circuit, when the first may take a probe.
    const probeIn = others.every((t) => this.breaker(t).state === 'open') ? Math.min(...others.map((t) => this.breaker(t).msUntilProbe())) : undefined;
    throw new RouteExhausted(`No provider served the request (${tried.length} attempt(s); last: ${last.provider}/${last.model}: ${what})`, attempts, timeout, waitHint?.ms ?? probeIn);
  }
}

/** Price per 1M tokens for "cheapest": input and output weighted equally. */
function comparablePrice(t: ModelTarget): number | undefined {
  return t.price ? t.price.input + t.price.output : undefined;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

function sleep(ms: number, signal: AbortSource): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.offAbort(onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.onAbort(onAbort);
  });
}

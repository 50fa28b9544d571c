import type { IncomingHttpHeaders } from 'node:http';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { ModelDirectory, type ModelTarget } from './model-directory.js';
import { AttemptError, AttemptSignal, type OpenAttempt } from './provider-call.js';
import type { RequestShape } from './routing/index.js';
import { ClientGone, LlmRouter, RouteExhausted } from './router.js';
import { RequestAbort, type AbortSource } from '../pipeline/request-abort.js';

const price = (usd: number) => ({ input: usd, output: usd });

const CONFIG = LlmConfigSchema.parse({
  providers: [
    { id: 'p1', baseUrl: 'https://one.example/v1', models: [{ name: 'a', price: price(5) }, { name: 'b', price: price(1) }] },
    { id: 'p2', baseUrl: 'https://two.example/v1', models: [{ name: 'c', price: price(3) }, { name: 'd' }, { name: 'short', maxOutputTokens: 100 }] },
  ],
  aliases: {
    ordered: { targets: [{ model: 'a' }, { model: 'b' }, { model: 'c' }] },
    cheap: { strategy: 'cheapest', targets: [{ model: 'a' }, { model: 'd' }, { model: 'b' }, { model: 'c' }] },
    shared: { strategy: 'weighted', targets: [{ model: 'a', weight: 1 }, { model: 'b', weight: 3 }, { model: 'c', weight: 0 }] },
    fast: { strategy: 'latency', targets: [{ model: 'a' }, { model: 'b' }, { model: 'c' }] },
    'short-first': { strategy: 'latency', targets: [{ model: 'short' }, { model: 'a' }] },
    ruled: {
      targets: [{ model: 'a' }, { model: 'b' }],
      rules: [
        { when: { tools: true }, targets: [{ model: 'c' }] },
        { when: { agentTags: ['batch'] }, strategy: 'cheapest', targets: [{ model: 'a' }, { model: 'c' }, { model: 'b' }] },
      ],
    },
  },
});
const DIR = new ModelDirectory(CONFIG);
const target = (name: string): ModelTarget => DIR.route(name)!.targets[0]!.target;
const [A, B, C] = [target('a'), target('b'), target('c')];
const SHAPE: RequestShape = { promptTokens: 100, hasTools: false, hasImages: false, agentTags: [], stream: false };
const FAR = 1e12;
const OPEN_MS = 30_000;

type Step = number | { status: number; headers: IncomingHttpHeaders } | AttemptError;

/** A router on a fake clock (each send takes 10 ms; sleeping advances it) and upstreams answering from a script (default 200). */
function harness(opts: { maxAttempts?: number; failureThreshold?: number; random?: number } = {}) {
  let now = 0;
  const sleeps: number[] = [];
  const sent: string[] = [];
  const finished: string[] = [];
  const script: Record<string, Step[]> = {};
  const router = new LlmRouter({
    retries: { maxAttempts: opts.maxAttempts ?? 3, baseMs: 100, capMs: 2000 },
    circuitBreaker: { failureThreshold: opts.failureThreshold ?? 5, openMs: OPEN_MS },
    now: () => now,
    random: () => opts.random ?? 0,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  const send = async (t: ModelTarget): Promise<OpenAttempt> => {
    sent.push(t.name);
    now += 10;
    const step = script[t.name]?.shift() ?? 200;
    if (step instanceof AttemptError) throw step;
    const { status, headers } = typeof step === 'number' ? { status: step, headers: {} } : step;
    return {
      status,
      headers,
      body: Readable.from([]),
      finish: () => finished.push(t.name),
      abort: () => {},
      signal: new AttemptSignal(),
      failure: (err) => (err instanceof AttemptError ? err : new AttemptError('bad-response', 'broken body')),
    };
  };
  const consume = async (attempt: OpenAttempt, t: ModelTarget) => `${t.name}:${attempt.status}`;
  const run = (targets: readonly ModelTarget[], deadline = FAR, signal: AbortSource = new RequestAbort(), consumeWith = consume) =>
    router.run(targets, send, consumeWith, signal, deadline);
  const exhausted = async (targets: readonly ModelTarget[], deadline = FAR): Promise<RouteExhausted> => {
    const err = await run(targets, deadline).then(
      () => undefined,
      (e: unknown) => e,
    );
    if (!(err instanceof RouteExhausted)) throw new Error(`expected RouteExhausted, got ${String(err)}`);
    return err;
  };
  return {
    router,
    script,
    sent,
    sleeps,
    finished,
    run,
    exhausted,
    advance: (ms: number) => void (now += ms),
    openCircuit: (t: ModelTarget) => {
      for (let i = 0; i < (opts.failureThreshold ?? 5); i++) router.breaker(t).onFailure();
    },
  };
}

describe('LlmRouter.run: attempts', () => {
  it('serves from the first target when it answers, and records its latency', async () => {
    const h = harness();
    const served = await h.run([A, B]);
    expect(served).toMatchObject({ ok: true, value: 'a:200', target: A, attempts: [{ provider: 'p1', model: 'a', status: 200, ms: 10 }] });
    expect(h.sent).toEqual(['a']);
    expect(h.sleeps).toEqual([]);
    expect(h.router.latency.estimate('p1/a')).toBe(10);
  });

  it('moves on to the next target after a 500, abandoning the failed body, after a jittered backoff', async () => {
    const h = harness({ random: 0.5 });
    h.script.a = [500];
    const served = await h.run([A, B]);
    expect(served.value).toBe('b:200');
    expect(served.attempts.map((x) => [x.model, x.status])).toEqual([
      ['a', 500],
      ['b', 200],
    ]);
    expect(h.finished).toEqual(['a']);
    // Full jitter on the first retry: random (0.5) x baseMs (100).
    expect(h.sleeps).toEqual([50]);
  });

  it("waits as long as a 429's retry-after asks when that is longer than the backoff", async () => {
    const h = harness({ random: 0.5 });
    h.script.a = [{ status: 429, headers: { 'retry-after': '2' } }];
    expect((await h.run([A, B])).value).toBe('b:200');
    expect(h.sleeps).toEqual([2000]);
    const h2 = harness();
    h2.script.a = [{ status: 429, headers: { 'retry-after': '9', 'retry-after-ms': '1500' } }];
    await h2.run([A, B]);
    expect(h2.sleeps).toEqual([1500]);
  });

  it("does not make another provider wait out one provider's retry-after", async () => {
    const h = harness({ maxAttempts: 3 });
    h.script.a = [{ status: 429, headers: { 'retry-after': '30' } }];
    const served = await h.run([A, C], 10_000);
    expect(served.value).toBe('c:200');
    expect(h.sleeps).toEqual([]);
  });

  it('retries on the next target when the provider refuses the gateway key (401)', async () => {
    const h = harness();
    h.script.a = [401];
    expect((await h.run([A, B])).value).toBe('b:200');
  });

  it('returns a request-caused 400 as the final answer (ok false) without trying anyone else or blaming the target', async () => {
    const h = harness({ failureThreshold: 1 });
    h.script.a = [400];
    const served = await h.run([A, B]);
    expect(served).toMatchObject({ ok: false, value: 'a:400', target: A });
    expect(h.sent).toEqual(['a']);
    expect(h.router.breaker(A).state).toBe('closed');
  });

  it('counts a body that breaks while consumed (reset) as a failed attempt and moves on', async () => {
    const h = harness({ failureThreshold: 1 });
    const consume = async (attempt: OpenAttempt, t: ModelTarget) => {
      if (t === A) throw new AttemptError('reset', 'p1: connection reset');
      return `${t.name}:${attempt.status}`;
    };
    const served = await h.run([A, B], FAR, new RequestAbort(), consume);
    expect(served.value).toBe('b:200');
    expect(served.attempts.map((x) => [x.model, x.status, x.error])).toEqual([
      ['a', 200, 'reset'],
      ['b', 200, undefined],
    ]);
    expect(h.finished).toEqual(['a']);
    expect(h.router.breaker(A).state).toBe('open');
  });

  it('makes at most maxAttempts attempts, then reports the last failure', async () => {
    const h = harness({ maxAttempts: 2 });
    h.script.a = [500];
    h.script.b = [502];
    const err = await h.exhausted([A, B, C]);
    expect(h.sent).toEqual(['a', 'b']);
    expect(err.attempts).toHaveLength(2);
    expect(err.timedOut).toBe(false);
    expect(err.retryAfterMs).toBeUndefined();
    expect(err.message).toBe('No provider served the request (2 attempt(s); last: p1/b: HTTP 502)');
  });

  it('cycles through fewer targets than attempts', async () => {
    const h = harness({ maxAttempts: 3 });
    h.script.a = [500, new AttemptError('connect', 'p1: connection failed')];
    const served = await h.run([A]);
    expect(h.sent).toEqual(['a', 'a', 'a']);
    expect(served.attempts.map((x) => x.status ?? x.error)).toEqual([500, 'connect', 200]);
  });

  it("passes on the last provider's retry-after when every attempt failed", async () => {
    const h = harness({ maxAttempts: 2 });
    h.script.a = [{ status: 429, headers: { 'retry-after': '1' } }, { status: 429, headers: { 'retry-after': '7' } }];
    const err = await h.exhausted([A]);
    expect(err.retryAfterMs).toBe(7000);
    const h2 = harness({ maxAttempts: 1 });
    h2.script.a = [500];
    expect((await h2.exhausted([A])).retryAfterMs).toBeUndefined();
  });

  it('marks the failed attempts the provider may have billed: sent, then timed out, reset or broken', async () => {
    const h = harness({ maxAttempts: 5 });
    h.script.a = [
      new AttemptError('timeout', 'p1: no connection in time', undefined, false),
      new AttemptError('timeout', 'p1: no response headers in time'),
      new AttemptError('reset', 'p1: connection failed (ECONNRESET)'),
      new AttemptError('connect', 'p1: connection failed (ECONNREFUSED)', undefined, false),
      500,
    ];
    const err = await h.exhausted([A]);
    expect(err.attempts.map((x) => x.billable ?? false)).toEqual([false, true, true, false, false]);
  });

  it('says timed out when the last attempt timed out', async () => {
    const h = harness({ maxAttempts: 1 });
    h.script.a = [new AttemptError('timeout', 'p1: no response headers in time')];
    const err = await h.exhausted([A]);
    expect(err.timedOut).toBe(true);
    expect(err.message).toContain('last: p1/a: timeout');
  });
});

describe('LlmRouter.run: an address the egress rules refuse', () => {
  const refusal = () => new AttemptError('refused', 'p1: 127.0.0.1 resolves to a loopback address (127.0.0.0/8): allowed only for an upstream configured with internal: true');

  it('passes over the refused target for the rest of the request and serves from the next, without blaming its health', async () => {
    const h = harness({ maxAttempts: 3 });
    h.script.a = [refusal(), refusal()];
    h.script.b = [500];
    const served = await h.run([A, B]);
    expect(h.sent).toEqual(['a', 'b', 'b']); // a once: every retry would be refused the same way
    expect(served.attempts.map((x) => x.status ?? x.error)).toEqual(['refused', 500, 200]);
    expect(served.attempts[0]?.reason).toContain('loopback address');
    const one = harness({ failureThreshold: 1 });
    one.script.a = [refusal()];
    await one.exhausted([A]);
    expect(one.router.breaker(A).tryAcquire()).toBe(true); // a refusal does not open the circuit
  });

  it('reports a refusal of every target as final (no retry can help), after one attempt each', async () => {
    const h = harness({ maxAttempts: 3 });
    h.script.a = [refusal()];
    h.script.b = [refusal()];
    const err = await h.exhausted([A, B]);
    expect(h.sent).toEqual(['a', 'b']);
    expect(err.refused).toBe(true);
    expect(err.timedOut).toBe(false);
    expect(err.message).toMatch(/egress rules/);
    expect(err.message).not.toContain('127.0.0.1'); // the agent is not told the operator's addresses
  });

  it('is not final when another target failed for reasons of its own; the refusal costs no attempt and no wait', async () => {
    const h = harness({ maxAttempts: 2, random: 0.5 });
    h.script.a = [refusal()];
    h.script.b = [503, 503];
    const err = await h.exhausted([A, B]);
    expect(h.sent).toEqual(['a', 'b', 'b']);
    expect(h.sleeps).toEqual([50]); // only between b's two attempts
    expect(err.refused).toBe(false);
    expect(err.message).toContain('last: p1/b: HTTP 503');
  });

  it('is not final when the other targets are circuit-open: it says when to retry instead', async () => {
    const h = harness();
    h.openCircuit(B);
    h.script.a = [refusal()];
    const err = await h.exhausted([A, B]);
    expect(err.refused).toBe(false);
    expect(err.message).toMatch(/circuit open/);
    expect(err.retryAfterMs).toBeGreaterThan(OPEN_MS - 100); // when b takes a probe, not 'never'
  });
});

describe('LlmRouter.run: circuit breaker', () => {
  it('opens a target after the threshold of failures; later requests skip it, noted in the attempts', async () => {
    const h = harness({ failureThreshold: 2 });
    h.script.a = [500, 500];
    await h.run([A, B]);
    await h.run([A, B]);
    expect(h.router.breaker(A).state).toBe('open');
    h.sent.length = 0;
    const served = await h.run([A, B]);
    expect(h.sent).toEqual(['b']);
    expect(served.attempts).toEqual([
      { provider: 'p1', model: 'a', ms: 0, skipped: 'circuit-open' },
      { provider: 'p1', model: 'b', ms: 10, status: 200 },
    ]);
  });

  it('notes an open target once per request, however often the cycle passes it', async () => {
    const h = harness({ maxAttempts: 3 });
    h.openCircuit(A);
    h.script.b = [500, 500];
    const served = await h.run([A, B]);
    expect(h.sent).toEqual(['b', 'b', 'b']);
    expect(served.attempts.map((x) => x.skipped ?? x.status)).toEqual(['circuit-open', 500, 500, 200]);
  });

  it('fails fast when every target is open, saying when to retry', async () => {
    const h = harness();
    h.openCircuit(A);
    h.openCircuit(B);
    const err = await h.exhausted([A, B]);
    expect(h.sent).toEqual([]);
    expect(err.attempts.map((x) => x.skipped)).toEqual(['circuit-open', 'circuit-open']);
    expect(err.timedOut).toBe(false);
    expect(err.retryAfterMs).toBe(OPEN_MS);
    expect(err.message).toMatch(/circuit open/);
  });

  it('says when to retry when the failures of this very request opened every circuit', async () => {
    const h = harness({ failureThreshold: 2, maxAttempts: 3 });
    h.script.a = [500, 500, 500];
    const err = await h.exhausted([A]);
    expect(h.router.breaker(A).state).toBe('open');
    expect(err.message).toContain('HTTP 500');
    expect(err.retryAfterMs).toBe(OPEN_MS);
    // Still closed (one failure short): nothing to promise.
    const h2 = harness({ failureThreshold: 5, maxAttempts: 2 });
    h2.script.a = [500, 500];
    expect((await h2.exhausted([A])).retryAfterMs).toBeUndefined();
  });

  it('says how long until the first open circuit takes a probe, not the whole open window', async () => {
    const h = harness();
    h.openCircuit(A);
    h.openCircuit(B);
    h.advance(20_000);
    const err = await h.exhausted([A, B]);
    expect(err.retryAfterMs).toBeLessThanOrEqual(OPEN_MS - 20_000);
  });

  it('probes an open target again once the open window has passed', async () => {
    const h = harness();
    h.openCircuit(A);
    h.advance(OPEN_MS);
    const served = await h.run([A, B]);
    expect(served.value).toBe('a:200');
    expect(h.router.breaker(A).state).toBe('closed');
  });
});

describe('LlmRouter.run: deadline and client', () => {
  it("stops before a wait that would end past the deadline, reporting the provider's 429 and its Retry-After, not a timeout", async () => {
    const h = harness({ maxAttempts: 5 });
    // B is half-open: the attempt it was acquired for must give its probe slot back.
    h.openCircuit(B);
    h.advance(OPEN_MS);
    h.script.a = [{ status: 429, headers: { 'retry-after': '5' } }];
    const err = await h.exhausted([A, B], OPEN_MS + 1000);
    expect(h.sent).toEqual(['a']);
    expect(h.sleeps).toEqual([]);
    expect(err.timedOut).toBe(false);
    expect(err.retryAfterMs).toBe(5000);
    expect(err.message).toContain('HTTP 429');
    expect(h.router.breaker(B).tryAcquire()).toBe(true);
  });

  it("passes over the targets of a provider whose Retry-After ends past the deadline, to another provider's", async () => {
    const h = harness({ maxAttempts: 3 });
    h.script.a = [{ status: 429, headers: { 'retry-after': '5' } }];
    const served = await h.run([A, B, C], 1000);
    expect(h.sent).toEqual(['a', 'c']);
    expect(served.value).toBe('c:200');
  });

  it('stops once an attempt ends past the deadline (timedOut)', async () => {
    const h = harness({ maxAttempts: 5 });
    h.script.a = [500, 500, 500];
    h.script.b = [500, 500, 500];
    h.advance(985);
    // First attempt ends at 995, inside the deadline; the backoff (0) is too; the second ends at 1005.
    const err = await h.exhausted([A, B], 1000);
    expect(h.sent).toEqual(['a', 'b']);
    expect(err.timedOut).toBe(true);
  });

  it('does not mark billable an attempt the client left while it waited for a connection', async () => {
    const h = harness();
    h.script.a = [new AttemptError('aborted-by-client', 'the client went away', undefined, false)];
    const err = await h.run([A]).catch((e: unknown) => e);
    expect((err as ClientGone).attempts.map((x) => [x.error, x.billable ?? false])).toEqual([['aborted-by-client', false]]);
  });

  it('rethrows a client abort at once, with the attempts so far, without counting it against the target', async () => {
    const gone = new AttemptError('aborted-by-client', 'the client went away');
    const h = harness();
    h.script.a = [new AttemptError('timeout', 'p1: no response headers in time'), gone];
    const err = await h.run([A]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClientGone);
    expect((err as ClientGone).cause).toBe(gone);
    expect((err as ClientGone).attempts.map((x) => x.error)).toEqual(['timeout', 'aborted-by-client']);
    // The provider had the request the client left during: billable, like the timed-out one.
    expect((err as ClientGone).attempts.map((x) => x.billable ?? false)).toEqual([true, true]);
    const one = harness({ failureThreshold: 1 });
    one.script.a = [gone];
    await expect(one.run([A, B])).rejects.toBeInstanceOf(ClientGone);
    expect(one.sent).toEqual(['a']);
    expect(one.router.breaker(A).state).toBe('closed');
  });

  it('ends the backoff wait when the client goes away', async () => {
    const ctl = new RequestAbort();
    const router = new LlmRouter({
      retries: { maxAttempts: 3, baseMs: 100, capMs: 2000 },
      // openMs 0: an open target is half-open at once, so B's probe slot shows whether it was released.
      circuitBreaker: { failureThreshold: 1, openMs: 0 },
      random: () => 0.5,
      // The client leaves while the router waits.
      sleep: (_ms, signal) =>
        new Promise((_resolve, reject) => {
          signal.onAbort(() => reject(signal.reason));
          ctl.abort();
        }),
    });
    router.breaker(B).onFailure();
    const sent: string[] = [];
    const send = async (t: ModelTarget): Promise<OpenAttempt> => {
      sent.push(t.name);
      return { status: 503, headers: {}, body: Readable.from([]), finish: () => {}, abort: () => {}, signal: new AttemptSignal(), failure: () => new AttemptError('reset', 'x') };
    };
    await expect(router.run([A, B], send, async () => 'x', ctl, FAR)).rejects.toMatchObject({ name: 'AttemptError', kind: 'aborted-by-client' });
    expect(sent).toEqual(['a']);
    // B was acquired for the attempt that never happened, and released: a later caller may probe it.
    expect(router.breaker(B).tryAcquire()).toBe(true);
  });

  it('ends its own backoff timer when the client goes away (no sleep injected)', async () => {
    const ctl = new RequestAbort();
    // A 10 s backoff: only the abort can end the wait within the test.
    const router = new LlmRouter({ retries: { maxAttempts: 3, baseMs: 10_000, capMs: 10_000 }, circuitBreaker: { failureThreshold: 5, openMs: 1000 }, random: () => 0.5 });
    const send = async (): Promise<OpenAttempt> => {
      setTimeout(() => ctl.abort(), 20);
      return { status: 503, headers: {}, body: Readable.from([]), finish: () => {}, abort: () => {}, signal: new AttemptSignal(), failure: () => new AttemptError('reset', 'x') };
    };
    const started = performance.now();
    await expect(router.run([A], send, async () => 'x', ctl, FAR)).rejects.toMatchObject({ name: 'AttemptError', kind: 'aborted-by-client' });
    expect(performance.now() - started).toBeLessThan(5000);
  });
});

describe('LlmRouter.plan', () => {
  const router = () => new LlmRouter({ retries: CONFIG.retries, circuitBreaker: CONFIG.circuitBreaker, random: () => 0.5 });
  const plan = (r: LlmRouter, name: string, shape: Partial<RequestShape> = {}) => r.plan(DIR.route(name)!, { ...SHAPE, ...shape }).map((t) => t.name);

  it('a plain model is its one target', () => {
    expect(router().plan(DIR.route('a')!, SHAPE)).toEqual([A]);
  });

  it('fallback keeps config order', () => {
    expect(plan(router(), 'ordered')).toEqual(['a', 'b', 'c']);
  });

  it('cheapest orders by price, unpriced last', () => {
    expect(plan(router(), 'cheap')).toEqual(['b', 'c', 'a', 'd']);
  });

  it('weighted draws by weight (here the heavier target), zero weights only as the last fallback', () => {
    // random 0.5 of a total weight of 4 lands in b's share (1 to 4).
    expect(plan(router(), 'shared')).toEqual(['b', 'a', 'c']);
    const low = new LlmRouter({ retries: CONFIG.retries, circuitBreaker: CONFIG.circuitBreaker, random: () => 0.1 });
    expect(plan(low, 'shared')).toEqual(['a', 'b', 'c']);
  });

  it('latency tries unmeasured targets first, then the fastest', () => {
    const r = router();
    r.latency.record('p1/a', 300);
    r.latency.record('p1/b', 40);
    expect(plan(r, 'fast')).toEqual(['c', 'b', 'a']);
    r.latency.record('p2/c', 100);
    expect(plan(r, 'fast')).toEqual(['b', 'c', 'a']);
  });

  it('passes over a target whose own output limit is below what the request asks, while another can serve it', () => {
    const r = router();
    expect(plan(r, 'short-first')).toEqual(['short', 'a']);
    expect(plan(r, 'short-first', { maxOutputTokens: 100 })).toEqual(['short', 'a']);
    expect(plan(r, 'short-first', { maxOutputTokens: 500 })).toEqual(['a']);
  });

  it('picks the first rule the request shape matches, with its own strategy, else the alias targets', () => {
    const r = router();
    expect(plan(r, 'ruled')).toEqual(['a', 'b']);
    expect(plan(r, 'ruled', { hasTools: true })).toEqual(['c']);
    expect(plan(r, 'ruled', { agentTags: ['team', 'batch'] })).toEqual(['b', 'c', 'a']);
    // Both rules match: the first wins.
    expect(plan(r, 'ruled', { hasTools: true, agentTags: ['batch'] })).toEqual(['c']);
  });
});

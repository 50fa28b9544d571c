/**
 * The forward step of the LLM API: routes a request that every policy allowed to a provider
 * model, relays the answer (whole, or as a stream), and reconciles what it cost. Runs inside
 * the policy chain, so it decides nothing; it only reports, for the audit record, what each
 * attempt did and what was used.
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { readCapped } from '../egress/read-capped.js';
import { sha256Hex } from '../util/sha256.js';
import { merged } from '../util/merged.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { RequestContext } from '../pipeline/context.js';
import { ForwardFailure, type ForwardResult, type Usage } from '../pipeline/policy.js';
import { estimateOf, exactlyOrBound, worstCaseOf, type LlmEstimate, type PromptEstimator } from './estimate.js';
import type { ModelDirectory, ModelTarget, Route } from './model-directory.js';
import { AttemptError, openAttempt, type OpenAttempt } from './provider-call.js';
import type { ProviderRuntime } from './provider-runtime.js';
import type { LlmRequest } from './request-body.js';
import { ClientGone, RouteExhausted, type AttemptRecord, type LlmRouter, type Served } from './router.js';
import { scrubSecrets } from './scrub-secrets.js';
import { answersJson, jsonObjectOf, providerRefusal } from './provider-answer.js';
import { relayStream } from './stream-relay.js';
import { outboundTrace } from '../loops/hop-chain.js';
import { rateLimitHeaders, REQUESTS_VIEW, TOKENS_VIEW } from '../ratelimit/headers.js';
import type { BucketView } from '../ratelimit/rate-limiter.js';
import { UPSTREAM_PATH, upstreamBytes } from './upstream-body.js';
import { answerText, chainUsage, settleUsage, type SettledUsage } from './usage.js';
import type { CachedAnswer, ResponseCache } from './cache/index.js';
import { cacheSlot, replayAsStream, replayHit, type CacheSlot } from './cached-answers.js';

/** What the LLM surface renders once the chain has recorded the request. */
export type LlmAnswer =
  | { kind: 'json'; status: number; headers: Record<string, string>; body: Buffer }
  /** The head and every event but the last were written; `tail` is written after the audit commit. */
  | { kind: 'stream'; tail: Buffer | null };

export interface LlmServiceDeps {
  providers: ReadonlyMap<string, ProviderRuntime>;
  models: ModelDirectory;
  estimator: PromptEstimator;
  router: LlmRouter;
  /** null: caching disabled (llm.cache.maxBytes 0). */
  cache: ResponseCache | null;
  log: Logger;
}

/** A whole answer as read: its bytes, and for a 2xx the JSON object they hold (parsed once, here). */
interface ReadAnswer {
  raw: Buffer;
  json: Record<string, unknown> | undefined;
}

/** A provider's refusal is passed on, but never more of it than this. */
const MAX_ERROR_BODY = 64 * 1024;

export class LlmService {
  readonly #d: LlmServiceDeps;

  constructor(deps: LlmServiceDeps) {
    this.#d = deps;
  }

  get models(): ModelDirectory {
    return this.#d.models;
  }

  get estimator(): PromptEstimator {
    return this.#d.estimator;
  }

  provider(target: ModelTarget): ProviderRuntime {
    return this.#d.providers.get(target.provider.id)!;
  }

  async forward(ctx: RequestContext, res: ServerResponse): Promise<ForwardResult<LlmAnswer>> {
    const req = ctx.payload as LlmRequest;
    const route = this.#d.models.route(ctx.target!)!;
    let estimate = estimateOf(ctx);
    // Rules on prompt size see the exact count only when the bound cannot decide them.
    if (estimate && !estimate.exact && promptRulesUndecided(route, estimate.promptTokens)) estimate = await exactlyOrBound(estimate);
    const agentTags = ctx.principal?.kind === 'agent' ? ctx.principal.agent.tags : [];
    // Whose turn at the tokenizer thread a usage count takes.
    const countScope = ctx.principal?.kind === 'agent' ? ctx.principal.agentId : '';
    const targets = this.#d.router.plan(route, {
      promptTokens: estimate?.promptTokens ?? 0,
      hasTools: estimate?.hasTools ?? false,
      hasImages: estimate?.hasImages ?? false,
      agentTags,
      stream: req.stream,
      // What the client asked for, not a limit the gateway set (that one is written into each
      // target's request at most at the target's own limit).
      maxOutputTokens: req.enforcedOutputLimit === undefined ? req.maxOutputTokens : null,
    });
    const deadline = performance.now() + Math.max(...targets.map((t) => t.provider.timeouts.totalMs));
    const bodies = new Map<ModelTarget, Buffer>();
    const trace = ctx.principal?.kind === 'agent' ? outboundTrace(ctx.traceId, ctx.hops, ctx.principal.agentId) : undefined;
    let dispatched = 0;
    const send = (t: ModelTarget): Promise<OpenAttempt> => {
      dispatched++;
      let body = bodies.get(t);
      if (body === undefined) bodies.set(t, (body = upstreamBytes(req, t)));
      return openAttempt(this.provider(t), UPSTREAM_PATH[req.endpoint], body, {
        signal: ctx.abort,
        accept: req.stream ? 'text/event-stream' : 'application/json',
        ...(trace ? { trace } : {}),
      });
    };
    const base: Record<string, unknown> = { route: route.name, stream: req.stream, ...(req.dropped.length > 0 ? { droppedFields: req.dropped } : {}), estimate: estimateDetails(estimate) };
    const slot = ctx.principal?.kind === 'agent' ? cacheSlot(this.#d.cache, ctx.principal.agent, route, req) : null;
    if (slot) {
      const hit = this.#d.cache!.get(slot.key);
      if (hit) return this.#serveHit(hit, req, res, base);
      base.cache = 'miss';
    }

    let served: Served<ReadAnswer | null>;
    try {
      served = await this.#d.router.run(
        targets,
        send,
        // A stream is relayed after the route is decided; a whole answer is read here, so a
        // body that breaks half-way still falls back to the next target. A provider that
        // answers a stream request with JSON gets the same (and its answer is replayed as a stream).
        (attempt, t) =>
          req.stream && attempt.status < 300 && !answersJson(attempt.headers['content-type'])
            ? Promise.resolve(null)
            : this.#readBody(attempt, t, attempt.status < 300 ? t.provider.maxResponseBytes : MAX_ERROR_BODY),
        ctx.abort,
        deadline,
      );
    } catch (err) {
      throw await this.#exhausted(err, base, dispatched > 0 ? estimate : undefined);
    }
    const { target, attempt, attempts } = served;
    const where = { provider: target.provider.id, model: target.name, upstreamModel: target.upstreamName, attempts };
    const headers: Record<string, string> = {
      'x-warden-provider': target.provider.id,
      'x-warden-model': target.name,
      ...rateLimitHeaders(ctx.annotations[REQUESTS_VIEW] as BucketView | undefined, ctx.annotations[TOKENS_VIEW] as BucketView | undefined),
    };
    if (slot) headers['x-cache'] = 'miss';

    // Failed attempts before this one that the provider may have billed all the same (counted
    // after a stream's relay, so they never delay its first byte).
    const billable = billableAttempts(attempts);
    const unansweredOf = async (): Promise<Unanswered> => (billable > 0 ? { attempts: billable, usage: await worstCaseOf(estimate, billable) } : null);

    if (!served.ok) {
      // The provider refused the request itself (400, 404, 422 ...): the agent gets its words.
      attempt.finish();
      const body = providerRefusal(served.value!.raw, attempt.status, this.provider(target));
      const unanswered = await unansweredOf();
      const charged = unanswered?.usage ? { usage: unanswered.usage, details: merged<Record<string, unknown>>(base, where, { usage: { unanswered: unansweredDetails(unanswered) } }) } : { details: merged<Record<string, unknown>>(base, where) };
      return { status: attempt.status, body: { kind: 'json', status: attempt.status, headers, body }, responseBytes: body.length, ...charged };
    }

    if (req.stream && served.value === null) {
      const relayed = await relayStream({ ctx, res, req, target, attempt, provider: this.provider(target), headers, estimate });
      const unanswered = await unansweredOf();
      const usage = await settleUsage(req.endpoint, relayed.usage, target, estimate, relayed.delivered, this.#d.estimator, countScope);
      const details = merged<Record<string, unknown>>(base, where, { usage: usageDetails(usage, unanswered), events: relayed.events });
      const partial = { usage: plusUnanswered(chainUsage(usage), unanswered), responseBytes: relayed.bytes, responseDigest: relayed.digest, details };
      this.#warnOver(ctx, usage, estimate);
      if (relayed.failure) throw new ForwardFailure(relayed.failure, { ...partial, details: { ...details, streamError: relayed.failure.message } });
      if (slot) {
        const assembled = relayed.assembled();
        const bytes = assembled ? scrubSecrets(Buffer.from(JSON.stringify(assembled)), this.provider(target)) : null;
        if (bytes) this.#store(slot, JSON.parse(bytes.toString('utf8')) as object, bytes, target, relayed.usage);
      }
      return { status: 200, body: { kind: 'stream', tail: relayed.tail }, ...partial };
    }

    attempt.finish();
    const unanswered = await unansweredOf();
    // Scrubbed before anything reads it: the cache keeps (and replays) what the agent may see.
    // The scrub hands back the same bytes when it found nothing, whose parse #readBody made.
    const read = served.value!;
    const body = scrubSecrets(read.raw, this.provider(target));
    const json = body === read.raw ? read.json : jsonObjectOf(body);
    const rawUsage = json?.usage;
    const usage = await settleUsage(req.endpoint, rawUsage, target, estimate, () => answerText(req.endpoint, json), this.#d.estimator, countScope);
    this.#warnOver(ctx, usage, estimate);
    if (slot && json) this.#store(slot, json, body, target, rawUsage);
    if (req.stream) {
      // The provider answered a stream request whole: the client still gets its stream.
      if (!json) throw new GatewayError('UPSTREAM_BAD_RESPONSE', `${target.provider.id} answered a stream request with a body that is not JSON once scrubbed`);
      const tail = replayAsStream(json, req, res, headers);
      return {
        status: 200,
        body: { kind: 'stream', tail },
        responseBytes: body.length,
        responseDigest: sha256Hex(body),
        usage: plusUnanswered(chainUsage(usage), unanswered),
        details: merged<Record<string, unknown>>(base, where, { usage: usageDetails(usage, unanswered), answeredWhole: true }),
      };
    }
    return {
      status: 200,
      body: { kind: 'json', status: 200, headers, body },
      responseBytes: body.length,
      responseDigest: sha256Hex(body),
      usage: plusUnanswered(chainUsage(usage), unanswered),
      details: merged<Record<string, unknown>>(base, where, { usage: usageDetails(usage, unanswered) }),
    };
  }

  #serveHit(hit: CachedAnswer, req: LlmRequest, res: ServerResponse, base: Record<string, unknown>): ForwardResult<LlmAnswer> {
    const headers = { 'x-warden-provider': hit.provider, 'x-warden-model': hit.model, 'x-cache': 'hit' };
    const details = { ...base, cache: 'hit', provider: hit.provider, model: hit.model, cachedUsage: hit.usage };
    // A hit costs nothing: no provider was called.
    const usage = { tokensIn: 0, tokensOut: 0, costUsd: 0 };
    if (req.stream) {
      const tail = replayHit(hit, req, res, headers);
      return { status: 200, body: { kind: 'stream', tail }, usage, details };
    }
    return {
      status: 200,
      body: { kind: 'json', status: 200, headers, body: hit.body },
      responseBytes: hit.body.length,
      responseDigest: sha256Hex(hit.body),
      usage,
      details,
    };
  }

  #store(slot: CacheSlot, json: object | undefined, body: Buffer | null, target: ModelTarget, usage: unknown): void {
    if (!json) return;
    const bytes = body ?? Buffer.from(JSON.stringify(json));
    this.#d.cache!.set(slot.key, { body: bytes, json, provider: target.provider.id, model: target.name, usage, storedAt: Date.now() }, slot.ttlMs);
  }

  async #readBody(attempt: OpenAttempt, target: ModelTarget, maxBytes: number): Promise<ReadAnswer> {
    try {
      const ce = attempt.headers['content-encoding'];
      const body = await readCapped(attempt.body, {
        contentEncoding: Array.isArray(ce) ? ce.join(', ') : ce,
        maxBytes,
        origin: target.provider.id,
        mapError: (e) => attempt.failure(e),
      });
      // A 2xx that is not a JSON object in UTF-8 is a broken provider: worth another target.
      // (Checked whole, not by its first byte: a body the scrub cannot read, UTF-16 say, would
      // otherwise reach the agent as it came.)
      if (attempt.status >= 300) return { raw: body, json: undefined };
      const json = jsonObjectOf(body);
      if (!json) {
        const notJson = new AttemptError('bad-response', `${target.provider.id}: the answer is not a JSON object`);
        notJson.answered = true;
        throw notJson;
      }
      return { raw: body, json };
    } catch (err) {
      if (err instanceof AttemptError) throw err;
      const code = (err as { code?: unknown }).code;
      throw new AttemptError('bad-response', code === 'EGRESS_TOO_LARGE' ? `${target.provider.id}: the answer exceeds ${maxBytes} bytes` : `${target.provider.id}: unreadable answer`, err);
    } finally {
      attempt.finish();
    }
  }

  /**
   * The failure of a request no attempt answered. When a request may have reached a provider
   * and been processed there (the client left while it was out, or an attempt timed out or
   * broke mid-way), its worst case is charged, marked `reserved`, once per such attempt: a
   * provider bills the prompt it received, and may well finish the answer nobody reads.
   */
  async #exhausted(err: unknown, base: Record<string, unknown>, sentEstimate: LlmEstimate | undefined): Promise<unknown> {
    const charge = async (attempts = 1): Promise<Pick<ForwardResult, 'usage'> & { details?: Record<string, unknown> }> => {
      const usage = await worstCaseOf(sentEstimate, attempts);
      if (!usage) return {};
      const reserved = { inputTokens: usage.tokensIn, outputTokens: usage.tokensOut, source: 'reserved', costUsd: usage.costUsd ?? null };
      return { usage, details: { usage: attempts > 1 ? { ...reserved, attempts } : reserved } };
    };
    if (err instanceof AttemptError && err.kind === 'aborted-by-client') {
      // Every attempt the provider may have billed, the one the client left during included
      // if its request had reached the provider (none when it left between attempts, or while
      // the attempt waited for a connection). Past the router (reading the answer), one.
      const attempts = err instanceof ClientGone ? err.attempts : undefined;
      const charged = attempts ? billableAttempts(attempts) : 1;
      const c = charged > 0 ? await charge(charged) : {};
      return new ForwardFailure(new GatewayError('CLIENT_CLOSED_REQUEST', 'The client went away before the answer'), {
        ...c,
        details: { ...base, ...(attempts ? { attempts } : {}), ...c.details },
        ...(attempts && !reachedProvider(attempts) ? { sent: false as const } : {}),
      });
    }
    if (!(err instanceof RouteExhausted)) return err;
    const headers: Record<string, string> = {};
    // Whole seconds, 1 to 3600: a provider's hint may say 0 or something absurd.
    if (err.retryAfterMs !== undefined) headers['retry-after'] = String(Math.min(3600, Math.max(1, Math.ceil(err.retryAfterMs / 1000))));
    if (err.refused) headers['x-should-retry'] = 'false';
    const error = new GatewayError(err.timedOut ? 'UPSTREAM_TIMEOUT' : 'UPSTREAM_UNAVAILABLE', err.message, { headers });
    const billable = billableAttempts(err.attempts);
    const c = billable > 0 ? await charge(billable) : {};
    // No provider had the request (no connection, refused, waiting for one): not even a call is spent.
    return new ForwardFailure(error, { ...c, details: { ...base, attempts: err.attempts, ...c.details }, ...(reachedProvider(err.attempts) ? {} : { sent: false as const }) });
  }

  #warnOver(ctx: RequestContext, usage: SettledUsage, estimate: LlmEstimate | undefined): void {
    if (!usage.overReservation) return;
    ctx.log.warn(
      { reserved: estimate?.worstCaseTokens, used: usage.inputTokens + usage.outputTokens, source: usage.source },
      'LLM usage above the reservation',
    );
  }
}

/** True when a prompt-size rule could match or not depending on the exact count (the bound only overstates). */
function promptRulesUndecided(route: Route, bound: number): boolean {
  return route.rules.some(
    (r) => (r.when.maxPromptTokens !== undefined && bound > r.when.maxPromptTokens) || (r.when.minPromptTokens !== undefined && bound >= r.when.minPromptTokens),
  );
}

function estimateDetails(e: LlmEstimate | undefined): Record<string, unknown> | undefined {
  if (!e) return undefined;
  return {
    promptTokens: e.promptTokens,
    exact: e.exact,
    ...(e.bound ? { bound: e.bound } : {}),
    maxOutputTokens: e.maxOutputTokens,
    n: e.n,
    worstCaseTokens: e.worstCaseTokens,
    worstCaseUsd: e.worstCaseUsd,
  };
}

/** Earlier attempts the provider may have billed without answering (AttemptRecord.billable), and their worst case. */
type Unanswered = { attempts: number; usage: Usage | null } | null;

function usageDetails(u: SettledUsage, unanswered: Unanswered = null): Record<string, unknown> {
  return {
    inputTokens: u.inputTokens,
    cachedInputTokens: u.cachedInputTokens,
    outputTokens: u.outputTokens,
    source: u.source,
    costUsd: u.costUsd,
    ...(u.overReservation ? { overReservation: true } : {}),
    ...(unanswered?.usage ? { unanswered: unansweredDetails(unanswered) } : {}),
  };
}

function unansweredDetails(u: NonNullable<Unanswered>): Record<string, unknown> {
  return { attempts: u.attempts, inputTokens: u.usage?.tokensIn, outputTokens: u.usage?.tokensOut, costUsd: u.usage?.costUsd ?? null, source: 'reserved' };
}

/** The served attempt's usage plus the worst case of the unanswered ones before it. */
function plusUnanswered(u: Usage, unanswered: Unanswered): Usage {
  const extra = unanswered?.usage;
  if (!extra) return u;
  const costUsd = u.costUsd === undefined && extra.costUsd === undefined ? undefined : (u.costUsd ?? 0) + (extra.costUsd ?? 0);
  return { tokensIn: (u.tokensIn ?? 0) + (extra.tokensIn ?? 0), tokensOut: (u.tokensOut ?? 0) + (extra.tokensOut ?? 0), ...(costUsd !== undefined ? { costUsd } : {}) };
}

/** Some attempt reached a provider: it answered (any status), or may have billed it. */
function reachedProvider(attempts: readonly AttemptRecord[]): boolean {
  return attempts.some((a) => a.status !== undefined || a.billable === true);
}

function billableAttempts(attempts: readonly AttemptRecord[]): number {
  let n = 0;
  for (const a of attempts) if (a.billable) n++;
  return n;
}


import { performance } from 'node:perf_hooks';
import type { AuditEventInput, AuditSink, DecisionStep } from '../audit/record.js';
import { GatewayError, toGatewayError } from '../errors/gateway-error.js';
import { applyPatch, copyContext, type RequestContext } from './context.js';
import { ForwardFailure, payloadSeen, type Decision, type ForwardResult, type LoadedPayload, type LoadPayload, type Outcome, type PayloadSeen, type Policy, type Reservation } from './policy.js';
import { BodyReads } from './body-reads.js';

export type Forward<T> = (ctx: RequestContext) => Promise<ForwardResult<T>>;

export type ChainResult<T> =
  | { ok: true; ctx: RequestContext; result: ForwardResult<T>; seq: number }
  | { ok: false; ctx: RequestContext; error: GatewayError; seq: number | null };

/**
 * THE policy chain. Every request of every surface (admin, whoami; later MCP, OpenAPI
 * tools, LLM, A2A) runs through one instance of it. The order is fixed where the chain is
 * built (see `buildChain`); this class only runs it:
 *
 *   request hooks in order, stop at the first deny → forward → response hooks in order
 *   → settle every reservation exactly once → write exactly one audit record.
 *
 * The record is committed before the caller may answer; if it cannot be committed the
 * answer becomes 503 AUDIT_UNAVAILABLE (the audit store amends the record to say so).
 */
export class PolicyChain {
  readonly policies: readonly Policy[];
  readonly #audit: AuditSink;
  #running = 0;
  #idleWaiters: Array<() => void> = [];

  readonly #bodyReads: BodyReads;

  /** `maxBodyReadsPerAgent`: request bodies one agent may be sending at once (limits.maxBodyReadsPerAgent; none when unset). */
  constructor(policies: readonly Policy[], audit: AuditSink, opts: { maxBodyReadsPerAgent?: number } = {}) {
    this.#bodyReads = new BodyReads(opts.maxBodyReadsPerAgent ?? Infinity);
    const names = new Set<string>();
    let sawPayloadPolicy = false;
    for (const p of policies) {
      if (names.has(p.name)) throw new Error(`policy chain: duplicate policy "${p.name}"`);
      names.add(p.name);
      if (p.phase === 'headers' && sawPayloadPolicy) throw new Error(`policy chain: header policy "${p.name}" after a payload policy`);
      if (p.phase !== 'headers') sawPayloadPolicy = true;
    }
    this.policies = Object.freeze([...policies]);
    this.#audit = audit;
  }

  async #readBody(ctx: RequestContext, loadPayload: LoadPayload): Promise<LoadedPayload> {
    if (ctx.principal?.kind !== 'agent') return loadPayload(ctx);
    const leave = this.#bodyReads.enter(ctx.principal.agentId);
    if (!leave) {
      throw new GatewayError('RATE_LIMITED', 'Too many requests of this agent are still sending their bodies; retry shortly', {
        headers: { 'retry-after': '1' },
      });
    }
    try {
      return await loadPayload(ctx);
    } finally {
      leave();
    }
  }

  /** Requests between entering the chain and their audit append settling. */
  get running(): number {
    return this.#running;
  }

  /** Resolves once no request is inside the chain, or after `timeoutMs`. Used by shutdown. */
  idle(timeoutMs: number): Promise<boolean> {
    if (this.#running === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.#idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * Records a request the surface refused before the policies could run (credentials in
   * the query string): still exactly one audit record.
   */
  async reject(ctx: RequestContext, error: GatewayError, stage: string): Promise<Extract<ChainResult<never>, { ok: false }>> {
    this.#running++;
    try {
      const path: DecisionStep[] = [{ policy: stage, decision: 'deny', ms: 0, code: error.code }];
      const record = buildRecord(ctx, path, stage, error, null, error.message);
      return { ok: false, ctx, error, seq: await this.#audit.append(record) };
    } catch (err) {
      return { ok: false, ctx, error: asAuditError(err), seq: null };
    } finally {
      this.#leave();
    }
  }

  /**
   * `statusOf`: the HTTP status the surface will answer an error with, when that is not the
   * error's own (MCP answers policy denials in a 200 JSON-RPC error), so the audit record
   * shows what the client got.
   */
  async run<T>(initial: RequestContext, forward: Forward<T>, loadPayload?: LoadPayload, statusOf?: (err: GatewayError) => number): Promise<ChainResult<T>> {
    this.#running++;
    try {
      return await this.#run(initial, forward, loadPayload, statusOf);
    } finally {
      this.#leave();
    }
  }

  #leave(): void {
    if (--this.#running === 0) for (const w of this.#idleWaiters.splice(0)) w();
  }

  async #run<T>(initial: RequestContext, forward: Forward<T>, loadPayload?: LoadPayload, statusOf?: (err: GatewayError) => number): Promise<ChainResult<T>> {
    let ctx = initial;
    const path: DecisionStep[] = [];
    const reservations: Reservation[] = [];
    let deciding: string | null = null;
    let error: GatewayError | null = null;
    let result: ForwardResult<T> | null = null;
    let partial: ForwardFailure['partial'] | null = null;
    let reason: string | null = null;
    let payloadLoaded = loadPayload === undefined;

    // Applies one hook's decision: a deny ends the chain (recorded as deciding), an allow may
    // hold a reservation and patch the context for the policies after it.
    const apply = (name: string, d: Decision): void => {
      if (d.kind === 'deny') {
        deciding = name;
        reason = d.reason ?? null;
        if (d.annotations) ctx = applyPatch(ctx, { annotations: d.annotations });
        throw d.error;
      }
      if (d.reservation) reservations.push(d.reservation);
      if (d.patch) ctx = applyPatch(ctx, d.patch);
    };

    // A chain-run step that is not a policy (reading the body, forwarding): timed and recorded
    // in the decision path; a failure becomes the deciding step.
    const step = async <R>(name: string, onFail: 'deny' | 'error', run: () => Promise<R>): Promise<R> => {
      const t0 = performance.now();
      try {
        const r = await run();
        path.push({ policy: name, decision: 'allow', ms: round(performance.now() - t0) });
        return r;
      } catch (err) {
        const ge = toGatewayError(err);
        path.push({ policy: name, decision: onFail, ms: round(performance.now() - t0), code: ge.code });
        deciding = name;
        throw ge;
      }
    };

    const withSeen = (seen: PayloadSeen, payload?: unknown): RequestContext => {
      const next = copyContext(ctx);
      if (payload !== undefined) next.payload = payload;
      next.requestBytes = seen.bytes;
      next.requestDigest = seen.digest;
      if (seen.action !== undefined) next.action = seen.action;
      if (seen.target !== undefined) next.target = seen.target;
      return next;
    };
    const readPayload = async (): Promise<void> => {
      payloadLoaded = true;
      let body: LoadedPayload;
      try {
        body = await step('read-body', 'deny', () => this.#readBody(ctx, loadPayload!));
      } catch (err) {
        const seen = payloadSeen(err);
        if (seen) ctx = withSeen(seen);
        throw err;
      }
      ctx = withSeen(body, body.payload);
    };

    try {
      // Fail closed before anything with side effects happens if nothing could be audited.
      if (!this.#audit.healthy()) {
        deciding = 'audit';
        throw new GatewayError('AUDIT_UNAVAILABLE', 'The audit trail is unavailable; request refused', {
          headers: { 'retry-after': '5' },
        });
      }
      for (const policy of this.policies) {
        if (!payloadLoaded && policy.phase !== 'headers') await readPayload();
        if (!policy.request) continue;
        const d = runHook(policy.name, path, policy, 'request', ctx);
        apply(policy.name, d instanceof Promise ? await d : d);
      }
      if (!payloadLoaded) await readPayload();
      result = await step('forward', 'error', async () => {
        try {
          return await forward(ctx);
        } catch (err) {
          if (!(err instanceof ForwardFailure)) throw err;
          partial = err.partial;
          throw err.error;
        }
      });
      for (const policy of this.policies) {
        if (!policy.response) continue;
        const d = runHook(policy.name, path, policy, 'response', ctx, result);
        apply(policy.name, d instanceof Promise ? await d : d);
      }
      deciding = 'forward';
    } catch (err) {
      error = toGatewayError(err);
      if (error.code === 'INTERNAL') ctx.log.error({ err: error.cause ?? err }, 'internal error in policy chain');
    } finally {
      const usage = result?.usage ?? (partial as ForwardFailure['partial'] | null)?.usage;
      const outcome: Outcome = {
        ok: error === null,
        status: error ? error.httpStatus : result!.status,
        // A result the gateway made without calling upstream (sent: false) is not forwarded.
        forwarded: (result !== null && (result as ForwardResult<T>).sent !== false) || (partial !== null && (partial as ForwardFailure['partial']).sent !== false),
        ...(usage ? { usage } : {}),
      };
      settleAll(reservations, outcome, ctx);
    }

    const record = buildRecord(ctx, path, deciding, error, result ?? partial, reason);
    if (error && statusOf) record.status = statusOf(error);
    try {
      const seq = await this.#audit.append(record);
      return error ? { ok: false, ctx, error, seq } : { ok: true, ctx, result: result!, seq };
    } catch (err) {
      const auditErr = asAuditError(err);
      ctx.log.error({ code: auditErr.code }, 'audit record could not be committed; answering 503');
      return { ok: false, ctx, error: auditErr, seq: null };
    }
  }
}

function asAuditError(err: unknown): GatewayError {
  return err instanceof GatewayError ? err : new GatewayError('AUDIT_UNAVAILABLE', 'The audit trail is unavailable', { cause: err });
}

/** A policy that has not decided by then is a fault: deny (fail closed) rather than hang the request. */
export const POLICY_TIMEOUT_MS = 5000;

/**
 * Runs one hook, recording its decision and duration. A throw, a timeout or something that
 * is not a Decision becomes a fail-closed deny, recorded under the policy's name. A hook that
 * answers synchronously is handled without a promise (most do, on every request); only a
 * pending decision gets the timeout.
 */
function runHook(
  name: string,
  path: DecisionStep[],
  policy: Policy,
  hook: 'request' | 'response',
  ctx: RequestContext,
  result?: ForwardResult,
): Decision | Promise<Decision> {
  const t0 = performance.now();
  let r: Decision | Promise<Decision>;
  try {
    r = hook === 'request' ? policy.request!(ctx) : policy.response!(ctx, result!);
  } catch (err) {
    return hookFailed(name, path, t0, err);
  }
  if (!(r instanceof Promise)) return recordDecision(name, path, t0, r);
  return withTimeout(r, name).then(
    (d) => recordDecision(name, path, t0, d),
    (err: unknown) => hookFailed(name, path, t0, err),
  );
}

function recordDecision(name: string, path: DecisionStep[], t0: number, d: Decision): Decision {
  if (!d || (d.kind !== 'allow' && d.kind !== 'deny')) return hookFailed(name, path, t0, new Error(`policy ${name} returned something that is not a decision`));
  const ms = round(performance.now() - t0);
  if (d.kind === 'deny') path.push({ policy: name, decision: 'deny', ms, code: d.error.code, ...(d.reason ? { reason: d.reason } : {}) });
  else path.push({ policy: name, decision: d.patch ? 'modify' : 'allow', ms, ...(d.reason ? { reason: d.reason } : {}) });
  return d;
}

function hookFailed(name: string, path: DecisionStep[], t0: number, err: unknown): Decision {
  const ge = toGatewayError(err);
  path.push({ policy: name, decision: 'error', ms: round(performance.now() - t0), code: ge.code });
  return { kind: 'deny', error: ge, reason: ge.code === 'INTERNAL' ? 'policy failed (fail closed)' : ge.message };
}

function withTimeout(p: Promise<Decision>, name: string): Promise<Decision> {
  let timer: NodeJS.Timeout | undefined;
  let timedOut = false;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`policy ${name} did not decide within ${POLICY_TIMEOUT_MS} ms`));
    }, POLICY_TIMEOUT_MS);
  });
  // A decision that arrives after the timeout may hold a reservation nobody will settle: release it.
  p.then(
    (late) => {
      if (timedOut && late?.kind === 'allow') late.reservation?.settle({ ok: false, status: 500, forwarded: false });
    },
    () => undefined,
  );
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

function settleAll(reservations: Reservation[], outcome: Outcome, ctx: RequestContext): void {
  // Reverse order: release what was taken last first, like unwinding a stack.
  for (let i = reservations.length - 1; i >= 0; i--) {
    try {
      reservations[i]!.settle(outcome);
    } catch (err) {
      ctx.log.error({ err }, 'reservation settle failed');
    }
  }
}

function buildRecord<T>(
  ctx: RequestContext,
  path: DecisionStep[],
  deciding: string | null,
  error: GatewayError | null,
  result: Omit<ForwardResult<T>, 'status' | 'body'> & { status?: number } | null,
  reason: string | null,
): AuditEventInput {
  const p = ctx.principal;
  const authFailed = error !== null && (deciding === 'authenticate' || deciding === 'credential-in-query' || deciding === 'credential-conflict');
  return {
    time: ctx.receivedAt,
    requestId: ctx.requestId,
    traceId: ctx.traceId,
    parentId: ctx.parentId,
    agentId: p?.kind === 'agent' ? p.agentId : (result?.subject?.agentId ?? (ctx.annotations['auth.agentId'] as string | undefined) ?? null),
    keyId: p?.kind === 'agent' ? p.keyId : (result?.subject?.keyId ?? (ctx.annotations['auth.keyId'] as string | undefined) ?? null),
    // Failed authentication is filed under `auth`, with the surface it targeted in `target`.
    channel: authFailed ? 'auth' : ctx.channel,
    action: authFailed ? 'authenticate' : ctx.action,
    target: authFailed ? `${ctx.channel}:${ctx.action}` : ctx.target,
    decision: error === null ? 'allow' : error.code === 'INTERNAL' || deciding === 'forward' ? 'error' : 'deny',
    policy: deciding,
    code: error?.code ?? null,
    reason: reason ?? (error ? error.message : (result?.reason ?? null)),
    status: error ? error.httpStatus : (result?.status ?? null),
    latencyMs: round(performance.now() - ctx.startedAt),
    tokensIn: result?.usage?.tokensIn ?? null,
    tokensOut: result?.usage?.tokensOut ?? null,
    costUsd: result?.usage?.costUsd ?? null,
    requestDigest: ctx.requestDigest,
    responseDigest: result?.responseDigest ?? null,
    requestBytes: ctx.requestBytes,
    responseBytes: result?.responseBytes ?? null,
    path,
    details: result?.details ?? null,
  };
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

import { describe, expect, it, vi } from 'vitest';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { makeContext } from '../../test/helpers/context.js';
import { GatewayError } from '../errors/gateway-error.js';
import { POLICY_TIMEOUT_MS, PolicyChain } from './chain.js';
import { ForwardFailure, type Decision, type Outcome, type Policy } from './policy.js';

const okForward = async () => ({ status: 200, body: 'ok' });

function recorder(name: string, log: string[]): Policy {
  return {
    name,
    request: () => {
      log.push(`req:${name}`);
      return { kind: 'allow' };
    },
    response: () => {
      log.push(`res:${name}`);
      return { kind: 'allow' };
    },
  };
}

describe('policy chain', () => {
  it('runs request hooks in order, forwards, runs response hooks, and writes one record with the decision path', async () => {
    const audit = new MemoryAudit();
    const log: string[] = [];
    const chain = new PolicyChain([recorder('a', log), recorder('b', log)], audit);
    const r = await chain.run(makeContext(), async () => {
      log.push('forward');
      return { status: 200, body: 'ok' };
    });
    expect(r.ok).toBe(true);
    expect(log).toEqual(['req:a', 'req:b', 'forward', 'res:a', 'res:b']);
    expect(audit.records).toHaveLength(1);
    const rec = audit.records[0]!;
    expect(rec.decision).toBe('allow');
    expect(rec.policy).toBe('forward');
    expect(rec.path!.map((s) => `${s.policy}:${s.decision}`)).toEqual(['a:allow', 'b:allow', 'forward:allow', 'a:allow', 'b:allow']);
    expect(rec.path!.every((s) => typeof s.ms === 'number' && s.ms >= 0)).toBe(true);
  });

  it('stops at the first deny, never forwards, and records the deciding policy and code', async () => {
    const audit = new MemoryAudit();
    const log: string[] = [];
    const denier: Policy = { name: 'deny-all', request: () => ({ kind: 'deny', error: new GatewayError('FORBIDDEN', 'no'), reason: 'because' }) };
    const chain = new PolicyChain([recorder('a', log), denier, recorder('c', log)], audit);
    const r = await chain.run(makeContext(), async () => {
      log.push('forward');
      return { status: 200, body: 'ok' };
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('FORBIDDEN');
    expect(log).toEqual(['req:a']);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ decision: 'deny', policy: 'deny-all', code: 'FORBIDDEN', reason: 'because', status: 403 });
  });

  it('fails closed with INTERNAL when a policy throws, and the message does not leak the cause', async () => {
    const audit = new MemoryAudit();
    const thrower: Policy = { name: 'buggy', request: () => { throw new Error('secret internals'); } };
    const chain = new PolicyChain([thrower], audit);
    const r = await chain.run(makeContext(), okForward);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('INTERNAL');
      expect(r.error.message).not.toContain('secret internals');
    }
    expect(audit.records[0]).toMatchObject({ decision: 'error', policy: 'buggy', code: 'INTERNAL' });
    expect(audit.records[0]!.path![0]).toMatchObject({ policy: 'buggy', decision: 'error' });
  });

  it.each([
    { name: 'success', later: undefined, forwardThrows: false, expectOk: true },
    { name: 'a later policy denies', later: 'deny', forwardThrows: false, expectOk: false },
    { name: 'a later policy throws', later: 'throw', forwardThrows: false, expectOk: false },
    { name: 'forward throws', later: undefined, forwardThrows: true, expectOk: false },
    { name: 'a response hook denies', later: 'deny-response', forwardThrows: false, expectOk: false },
  ])('settles a reservation exactly once when $name', async ({ later, forwardThrows, expectOk }) => {
    const audit = new MemoryAudit();
    const settled: Outcome[] = [];
    const reserver: Policy = { name: 'reserve', request: () => ({ kind: 'allow', reservation: { settle: (o) => settled.push(o) } }) };
    const policies: Policy[] = [reserver];
    if (later === 'deny') policies.push({ name: 'late', request: () => ({ kind: 'deny', error: new GatewayError('RATE_LIMITED', 'x') }) });
    if (later === 'throw') policies.push({ name: 'late', request: () => { throw new Error('boom'); } });
    if (later === 'deny-response') policies.push({ name: 'late', response: () => ({ kind: 'deny', error: new GatewayError('DATA_EXPOSURE_BLOCKED', 'x') }) });
    const chain = new PolicyChain(policies, audit);
    const r = await chain.run(makeContext(), async () => {
      if (forwardThrows) throw new GatewayError('UPSTREAM_TIMEOUT', 'slow');
      return { status: 200, body: 'ok' };
    });
    expect(r.ok).toBe(expectOk);
    expect(settled).toHaveLength(1);
    expect(settled[0]!.ok).toBe(expectOk);
    expect(audit.records).toHaveLength(1);
  });

  it('hands the forwarded usage to reservations even when a response hook denies afterwards', async () => {
    const settled: Outcome[] = [];
    const chain = new PolicyChain(
      [
        { name: 'reserve', request: () => ({ kind: 'allow', reservation: { settle: (o) => settled.push(o) } }) },
        { name: 'late', response: () => ({ kind: 'deny', error: new GatewayError('DATA_EXPOSURE_BLOCKED', 'x') }) },
      ],
      new MemoryAudit(),
    );
    await chain.run(makeContext(), async () => ({ status: 200, body: 'ok', usage: { tokensIn: 10, tokensOut: 5 } }));
    expect(settled).toEqual([{ ok: false, status: 403, forwarded: true, usage: { tokensIn: 10, tokensOut: 5 } }]);
  });

  it('settles a result the gateway made without calling upstream (sent: false) as not forwarded, and one that did as forwarded', async () => {
    const settled: Outcome[] = [];
    const chain = new PolicyChain([{ name: 'reserve', request: () => ({ kind: 'allow', reservation: { settle: (o) => settled.push(o) } }) }], new MemoryAudit());
    await chain.run(makeContext(), async () => ({ status: 200, body: 'refused arguments', sent: false }));
    await chain.run(makeContext(), async () => ({ status: 200, body: 'answered' }));
    // A failure that reached no upstream (sent: false on its partial) either.
    await chain.run(makeContext(), async () => {
      throw new ForwardFailure(new GatewayError('UPSTREAM_UNAVAILABLE', 'no provider reachable'), { sent: false });
    });
    expect(settled.map((o) => o.forwarded)).toEqual([false, true, false]);
  });

  it('reads the body only after the header policies allowed the request', async () => {
    const audit = new MemoryAudit();
    const events: string[] = [];
    const loadPayload = async () => {
      events.push('read-body');
      return { payload: { a: 1 }, bytes: 7, digest: 'd' };
    };
    const header = (name: string, verdict: 'allow' | 'deny'): Policy => ({
      name,
      phase: 'headers',
      request: () => {
        events.push(name);
        return verdict === 'allow' ? { kind: 'allow' } : { kind: 'deny', error: new GatewayError('UNAUTHENTICATED', 'no') };
      },
    });
    const payload: Policy = { name: 'inspect', request: (ctx) => { events.push(`inspect:${JSON.stringify(ctx.payload)}`); return { kind: 'allow' }; } };
    await new PolicyChain([header('auth', 'allow'), payload], audit).run(makeContext(), okForward, loadPayload);
    expect(events).toEqual(['auth', 'read-body', 'inspect:{"a":1}']);
    expect(audit.records[0]).toMatchObject({ requestBytes: 7, requestDigest: 'd' });
    expect(audit.records[0]!.path!.map((p) => p.policy)).toEqual(['auth', 'read-body', 'inspect', 'forward']);

    events.length = 0;
    await new PolicyChain([header('auth', 'deny'), payload], audit).run(makeContext(), okForward, loadPayload);
    expect(events).toEqual(['auth']);
  });

  it('turns a body that cannot be read into a deny by read-body, with its own code', async () => {
    const audit = new MemoryAudit();
    const r = await new PolicyChain([], audit).run(makeContext(), okForward, async () => {
      throw new GatewayError('PAYLOAD_TOO_LARGE', 'big');
    });
    expect(r.ok).toBe(false);
    expect(audit.records[0]).toMatchObject({ policy: 'read-body', code: 'PAYLOAD_TOO_LARGE', status: 413, decision: 'deny' });
  });

  it('refuses a header policy placed after a payload policy', () => {
    expect(() => new PolicyChain([{ name: 'p' }, { name: 'h', phase: 'headers' }], new MemoryAudit())).toThrow(/header policy/);
  });

  it('reports idle only once every request in the chain has been audited', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const chain = new PolicyChain([], new MemoryAudit());
    const run = chain.run(makeContext(), async () => {
      await gate;
      return { status: 200, body: 'ok' };
    });
    expect(chain.running).toBe(1);
    expect(await chain.idle(20)).toBe(false);
    release();
    await run;
    expect(await chain.idle(20)).toBe(true);
  });

  it('applies allow-with-changes patches for later policies and records them as modify', async () => {
    const audit = new MemoryAudit();
    let seen: unknown;
    const patcher: Policy = { name: 'redact', request: () => ({ kind: 'allow', patch: { payload: { text: '[redacted]' } }, reason: 'redacted 1 email' }) };
    const reader: Policy = { name: 'reader', request: (ctx) => { seen = ctx.payload; return { kind: 'allow' }; } };
    const chain = new PolicyChain([patcher, reader], audit);
    const original = makeContext({ payload: { text: 'a@b.c' } });
    await chain.run(original, okForward);
    expect(seen).toEqual({ text: '[redacted]' });
    expect(original.payload).toEqual({ text: 'a@b.c' });
    expect(audit.records[0]!.path![0]).toMatchObject({ policy: 'redact', decision: 'modify', reason: 'redacted 1 email' });
  });

  it('refuses before any policy runs when the audit store is unhealthy (fail closed)', async () => {
    const audit = new MemoryAudit();
    audit.isHealthy = false;
    const log: string[] = [];
    const chain = new PolicyChain([recorder('a', log)], audit);
    const r = await chain.run(makeContext(), okForward);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('AUDIT_UNAVAILABLE');
    expect(log).toEqual([]);
  });

  it('answers AUDIT_UNAVAILABLE when the record cannot be committed', async () => {
    const audit = new MemoryAudit();
    audit.failAppends = true;
    const chain = new PolicyChain([], audit);
    const r = await chain.run(makeContext(), okForward);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('AUDIT_UNAVAILABLE');
      expect(r.seq).toBeNull();
    }
  });

  it('fails closed and records the step when a policy returns something that is not a decision', async () => {
    const audit = new MemoryAudit();
    const broken: Policy = { name: 'broken', request: () => undefined as unknown as Decision };
    const r = await new PolicyChain([broken], audit).run(makeContext(), okForward);
    expect(r.ok).toBe(false);
    expect(audit.records[0]!.path![0]).toMatchObject({ policy: 'broken', decision: 'error', code: 'INTERNAL' });
  });

  it('fails closed when a policy never decides, and releases a reservation that arrives late', async () => {
    vi.useFakeTimers();
    try {
      const audit = new MemoryAudit();
      const settled: Outcome[] = [];
      let decide!: (d: Decision) => void;
      const hung: Policy = { name: 'hung', request: () => new Promise<Decision>((r) => (decide = r)) };
      const run = new PolicyChain([hung], audit).run(makeContext(), okForward);
      await vi.advanceTimersByTimeAsync(POLICY_TIMEOUT_MS + 1);
      const r = await run;
      expect(r.ok).toBe(false);
      expect(audit.records[0]!.path![0]).toMatchObject({ policy: 'hung', decision: 'error' });
      decide({ kind: 'allow', reservation: { settle: (o) => settled.push(o) } });
      await vi.advanceTimersByTimeAsync(1);
      expect(settled).toEqual([{ ok: false, status: 500, forwarded: false }]);
    } finally {
      vi.useRealTimers();
    }
  });

  it('records sync and async hooks in the order they ran, and fails closed on a rejected or non-decision promise', async () => {
    const settled: Outcome[] = [];
    const log: string[] = [];
    const later = (name: string, d: () => Decision): Policy => ({ name, request: async () => { await new Promise((r) => setTimeout(r, 1)); log.push(name); return d(); } });
    const now = (name: string, d: () => Decision): Policy => ({ name, request: () => { log.push(name); return d(); } });
    const allowHolding = (): Decision => ({ kind: 'allow', reservation: { settle: (o) => settled.push(o) }, patch: { annotations: { held: true } } });
    const cases: Array<{ last: Policy; code: string }> = [
      { last: { name: 'last', request: () => Promise.reject(new Error('secret')) }, code: 'INTERNAL' },
      { last: { name: 'last', request: async () => undefined as unknown as Decision }, code: 'INTERNAL' },
      { last: { name: 'last', request: () => Promise.reject(new GatewayError('FORBIDDEN', 'no')) }, code: 'FORBIDDEN' },
      { last: { name: 'last', request: () => { throw new Error('secret'); } }, code: 'INTERNAL' },
    ];
    for (const { last, code } of cases) {
      settled.length = 0;
      log.length = 0;
      const audit = new MemoryAudit();
      const chain = new PolicyChain([later('a', allowHolding), now('b', () => ({ kind: 'allow' })), later('c', () => ({ kind: 'allow' })), last], audit);
      const r = await chain.run(makeContext(), async () => {
        log.push('forward');
        return { status: 200, body: 'ok' };
      });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.code).toBe(code);
      expect(log).toEqual(['a', 'b', 'c']);
      expect(audit.records[0]!.path!.map((p) => `${p.policy}:${p.decision}`)).toEqual(['a:modify', 'b:allow', 'c:allow', 'last:error']);
      expect(audit.records[0]).toMatchObject({ policy: 'last', code });
      expect(settled).toEqual([{ ok: false, status: r.ok ? 200 : r.error.httpStatus, forwarded: false }]);
    }
  });

  it('gives a synchronous decision no timer and a pending one the timeout', async () => {
    vi.useFakeTimers();
    try {
      const audit = new MemoryAudit();
      const sync: Policy = { name: 'sync', request: () => ({ kind: 'allow' }) };
      const run = new PolicyChain([sync], audit).run(makeContext(), okForward);
      expect(vi.getTimerCount()).toBe(0);
      expect((await run).ok).toBe(true);
      const pending: Policy = { name: 'pending', request: () => new Promise<Decision>(() => undefined) };
      const hung = new PolicyChain([sync, pending], audit).run(makeContext(), okForward);
      expect(vi.getTimerCount()).toBe(1);
      await vi.advanceTimersByTimeAsync(POLICY_TIMEOUT_MS);
      expect((await hung).ok).toBe(false);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('rejects duplicate policy names at construction', () => {
    const p: Policy = { name: 'same' };
    expect(() => new PolicyChain([p, p], new MemoryAudit())).toThrow(/duplicate/);
  });

  it('records requests refused before the policies (reject) exactly once, filed under auth for query credentials', async () => {
    const audit = new MemoryAudit();
    const chain = new PolicyChain([], audit);
    const r = await chain.reject(makeContext(), new GatewayError('BAD_REQUEST', 'key in query'), 'credential-in-query');
    expect(r.ok).toBe(false);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ channel: 'auth', decision: 'deny', policy: 'credential-in-query', code: 'BAD_REQUEST', status: 400 });
  });
  it('records and settles the usage of a forward that failed after the upstream did work', async () => {
    const audit = new MemoryAudit();
    const outcomes: Outcome[] = [];
    const reserving: Policy = { name: 'reserve', request: () => ({ kind: 'allow', reservation: { settle: (o) => outcomes.push(o) } }) };
    const chain = new PolicyChain([reserving], audit);
    const r = await chain.run(makeContext(), async () => {
      throw new ForwardFailure(new GatewayError('UPSTREAM_BAD_RESPONSE', 'the stream broke'), {
        usage: { tokensIn: 10, tokensOut: 4, costUsd: 0.001 },
        responseBytes: 120,
        details: { usage: { source: 'estimated' } },
      });
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(outcomes).toEqual([{ ok: false, status: 502, forwarded: true, usage: { tokensIn: 10, tokensOut: 4, costUsd: 0.001 } }]);
    expect(audit.records[0]).toMatchObject({ decision: 'error', code: 'UPSTREAM_BAD_RESPONSE', status: 502, tokensIn: 10, tokensOut: 4, costUsd: 0.001, responseBytes: 120 });
    expect(audit.records[0]!.details).toEqual({ usage: { source: 'estimated' } });
  });
});

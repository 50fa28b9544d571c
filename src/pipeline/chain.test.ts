import { describe, expect, it } from 'vitest';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { makeContext } from '../../test/helpers/context.js';
import { GatewayError } from '../errors/gateway-error.js';
import { PolicyChain } from './chain.js';
import type { Outcome, Policy } from './policy.js';

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

  it('rejects duplicate policy names at construction', () => {
    const p: Policy = { name: 'same' };
    expect(() => new PolicyChain([p, p], new MemoryAudit())).toThrow(/duplicate/);
  });

  it('records requests refused before the policies (reject) exactly once', async () => {
    const audit = new MemoryAudit();
    const chain = new PolicyChain([], audit);
    const r = await chain.reject(makeContext(), new GatewayError('PAYLOAD_TOO_LARGE', 'big'), 'read-body');
    expect(r.ok).toBe(false);
    expect(audit.records).toHaveLength(1);
    expect(audit.records[0]).toMatchObject({ decision: 'deny', policy: 'read-body', code: 'PAYLOAD_TOO_LARGE', status: 413 });
  });
});

import { describe, expect, it, vi } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import type { GatewayError } from '../errors/gateway-error.js';
import type { HopChain } from '../loops/hop-chain.js';
import { LoopGuard, type LoopTrip } from '../loops/loop-guard.js';
import { PolicyChain } from '../pipeline/chain.js';
import { GOVERNED_AS } from '../pipeline/call-kind.js';
import type { Principal, RequestContext } from '../pipeline/context.js';
import type { Decision } from '../pipeline/policy.js';
import { createLoopDetectionPolicy, type LoopDetectionDeps } from './loop-detection.js';

const T = 1_700_000_000_000;

function principal(loops?: Record<string, unknown>, id = 'bot'): Principal {
  const spec = AgentSpecSchema.parse(minimalAgent(id, { models: { allow: ['*'] }, ...(loops ? { loops } : {}) }));
  return { kind: 'agent', agentId: id, keyId: 'k1', agent: { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent };
}

/** Two identical calls in a minute are a loop. */
const twice = (action: string, extra: Record<string, unknown> = {}) => principal({ repetition: { threshold: 2, windowSeconds: 60 }, action, coolDownSeconds: 10, ...extra });

/** A tools/call as the MCP surface puts it in ctx.payload. */
function toolCall(who: Principal | null, requestId: string, args: Record<string, unknown> = { q: 'x' }, opts: { tool?: string; meta?: Record<string, unknown>; hops?: HopChain } = {}): RequestContext {
  const tool = opts.tool ?? 'search';
  const params = { name: tool, arguments: args, ...(opts.meta ? { _meta: opts.meta } : {}) };
  return makeContext({
    requestId,
    channel: 'mcp',
    action: 'tools/call',
    target: tool,
    principal: who,
    payload: { inbound: { message: { jsonrpc: '2.0', id: requestId, method: 'tools/call', params } }, session: null },
    ...(opts.hops ? { hops: opts.hops } : {}),
  });
}

/** A resources/read as the MCP surface puts it in ctx.payload, after authorize-target named what it is governed as. */
function resourceRead(who: Principal, requestId: string, uri: string, governedAs: string): RequestContext {
  return makeContext({
    requestId,
    channel: 'mcp',
    action: 'resources/read',
    target: uri,
    principal: who,
    annotations: { [GOVERNED_AS]: governedAs },
    payload: { inbound: { message: { jsonrpc: '2.0', id: requestId, method: 'resources/read', params: { uri } } }, session: null },
  });
}

function llmCall(who: Principal, requestId: string, requestDigest: string, content = 'Hello'): RequestContext {
  return makeContext({
    requestId,
    channel: 'llm',
    action: 'chat.completions',
    target: 'gpt-4o',
    principal: who,
    requestDigest,
    payload: { endpoint: 'chat', body: { model: 'gpt-4o', messages: [{ role: 'user', content }] } },
  });
}

function setup(deps: Omit<LoopDetectionDeps, 'loops' | 'now'> = {}) {
  const clock = { t: T };
  const guard = new LoopGuard();
  const onLoopTrip = vi.fn<NonNullable<LoopDetectionDeps['onLoopTrip']>>();
  const suspendAgent = vi.fn<NonNullable<LoopDetectionDeps['suspendAgent']>>(() => Promise.resolve());
  const policy = createLoopDetectionPolicy({ loops: guard, onLoopTrip, suspendAgent, now: () => clock.t, ...deps });
  return {
    guard,
    onLoopTrip,
    suspendAgent,
    at: (ms: number) => void (clock.t = T + ms),
    decide: (ctx: RequestContext) => Promise.resolve(policy.request!(ctx)),
  };
}

function denial(d: Decision): GatewayError {
  if (d.kind !== 'deny') throw new Error('expected a denial');
  return d.error;
}

function allowed(d: Decision): string | undefined {
  if (d.kind !== 'allow') throw new Error(`denied: ${d.error.message}`);
  return d.reason;
}

describe('loop-detection policy actions', () => {
  it('warn: records the trip and lets every call through', async () => {
    const { decide, onLoopTrip } = setup();
    const who = twice('warn');
    expect(allowed(await decide(toolCall(who, 'r1')))).toBeUndefined();
    const ctx = toolCall(who, 'r2');
    expect(allowed(await decide(ctx))).toBe('loop warning: repetition');
    expect(allowed(await decide(toolCall(who, 'r3')))).toBe('loop warning: repetition');
    expect(onLoopTrip).toHaveBeenCalledTimes(2);
    const [seenCtx, agentId, trips, action] = onLoopTrip.mock.calls[0]!;
    expect(seenCtx).toBe(ctx);
    expect(agentId).toBe('bot');
    expect(action).toBe('warn');
    expect(trips).toEqual([expect.objectContaining({ rule: 'repetition', evidence: ['r1', 'r2'] })]);
  });

  it('block: refuses the tripping call and every call of the cool-down, then lets calls through again', async () => {
    const { decide, at, onLoopTrip } = setup();
    const who = twice('block');
    allowed(await decide(toolCall(who, 'r1')));
    const err = denial(await decide(toolCall(who, 'r2')));
    expect(err.code).toBe('LOOP_DETECTED');
    expect(err.message).toMatch(/^Loop detected for agent bot: .*search/);
    expect(err.headers).toEqual({ 'retry-after': '10' });
    expect(err.details).toEqual({ rules: ['repetition'] });
    expect(onLoopTrip).toHaveBeenCalledWith(expect.anything(), 'bot', [expect.objectContaining({ rule: 'repetition', evidence: ['r1', 'r2'] })], 'block');

    at(9_001);
    const cooling = denial(await decide(toolCall(who, 'r3', { q: 'something else' })));
    expect(cooling).toMatchObject({ code: 'LOOP_DETECTED', message: 'Loop detected for agent bot: calls are blocked after a detected loop', headers: { 'retry-after': '1' } });
    expect(cooling.details).toBeUndefined();
    at(10_000);
    expect(allowed(await decide(toolCall(who, 'r4', { q: 'new' })))).toBeUndefined();
    expect(onLoopTrip).toHaveBeenCalledTimes(1);
  });

  it('block: calls refused during the cool-down are not counted as repeats', async () => {
    const { decide, at } = setup();
    const who = twice('block');
    allowed(await decide(toolCall(who, 'r1')));
    denial(await decide(toolCall(who, 'r2')));
    at(9_000);
    denial(await decide(toolCall(who, 'r3', { q: 'y' })));
    at(10_000);
    // Within the minute of r3, but the refused r3 was never recorded.
    expect(allowed(await decide(toolCall(who, 'r4', { q: 'y' })))).toBeUndefined();
  });

  it('throttle: lets the tripping call through, then one call a second until the cool-down ends', async () => {
    const { decide, at, onLoopTrip } = setup();
    const who = twice('throttle');
    allowed(await decide(toolCall(who, 'r1')));
    expect(allowed(await decide(toolCall(who, 'r2')))).toBe('throttled: repetition');
    expect(onLoopTrip).toHaveBeenLastCalledWith(expect.anything(), 'bot', expect.any(Array), 'throttle');

    at(500);
    const err = denial(await decide(toolCall(who, 'r3', { q: 'a' })));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.headers).toEqual({ 'retry-after': '1' });
    expect(err.message).toContain(new Date(T + 10_000).toISOString());
    at(1_000);
    expect(allowed(await decide(toolCall(who, 'r4', { q: 'b' })))).toBeUndefined();
    at(1_999);
    expect(denial(await decide(toolCall(who, 'r5', { q: 'c' }))).code).toBe('RATE_LIMITED');
    at(2_000);
    allowed(await decide(toolCall(who, 'r6', { q: 'd' })));
    at(10_000);
    allowed(await decide(toolCall(who, 'r7', { q: 'e' })));
    at(10_001);
    allowed(await decide(toolCall(who, 'r8', { q: 'f' })));
  });

  it('suspend: suspends the agent with the reason and refuses without Retry-After', async () => {
    const { decide, onLoopTrip, suspendAgent } = setup();
    const who = twice('suspend');
    allowed(await decide(toolCall(who, 'r1')));
    const err = denial(await decide(toolCall(who, 'r2')));
    expect(suspendAgent).toHaveBeenCalledTimes(1);
    const [agentId, reason] = suspendAgent.mock.calls[0]!;
    expect(agentId).toBe('bot');
    expect(reason).toMatch(/^loop detected: .*search/);
    expect(reason.length).toBeLessThanOrEqual(500);
    expect(err.code).toBe('LOOP_DETECTED');
    expect(err.message).toMatch(/the agent is suspended until an admin resumes it$/);
    expect(err.headers).toEqual({});
    expect(onLoopTrip).toHaveBeenCalledWith(expect.anything(), 'bot', expect.any(Array), 'suspend');
  });

  it('suspend: waits for the suspension to be stored before answering', async () => {
    let stored = false;
    const { decide } = setup({
      suspendAgent: () =>
        new Promise<void>((resolve) =>
          setTimeout(() => {
            stored = true;
            resolve();
          }, 5),
        ),
    });
    const who = twice('suspend');
    await decide(toolCall(who, 'r1'));
    denial(await decide(toolCall(who, 'r2')));
    expect(stored).toBe(true);
  });
});

describe('loop-detection policy: a suspension that cannot be stored', () => {
  it('fails the call (never allows it) whether the store rejects or throws at once, and the chain records it as the policy erring', async () => {
    for (const suspendAgent of [() => Promise.reject(new Error('state store down')), () => { throw new Error('state store down'); }]) {
      const guard = new LoopGuard();
      const policy = createLoopDetectionPolicy({ loops: guard, suspendAgent, now: () => T });
      const audit = new MemoryAudit();
      const chain = new PolicyChain([policy], audit);
      const who = twice('suspend');
      expect((await chain.run(toolCall(who, 'r1'), async () => ({ status: 200, body: 'ok' }))).ok).toBe(true);
      const r = await chain.run(toolCall(who, 'r2'), async () => ({ status: 200, body: 'ok' }));
      expect(r.ok).toBe(false);
      expect(audit.records[1]).toMatchObject({ decision: 'error', policy: 'loop-detection', code: 'INTERNAL' });
    }
  });
});

describe('loop-detection policy: hop chain', () => {
  it('refuses a call whose chain already passed through the agent, with the calls as evidence', async () => {
    const { decide, onLoopTrip } = setup();
    const who = principal({ action: 'block' });
    const err = denial(await decide(toolCall(who, 'r1', {}, { hops: { hops: ['planner', 'bot'], overflow: false } })));
    expect(err.details).toEqual({ rules: ['hop-cycle'] });
    const trips = onLoopTrip.mock.calls[0]![2] as LoopTrip[];
    expect(trips).toEqual([expect.objectContaining({ rule: 'hop-cycle', evidence: ['r1'], details: { chain: ['planner', 'bot'] } })]);
  });

  it('refuses a chain deeper than maxHopDepth, and one too long to carry', async () => {
    const { decide } = setup();
    const who = principal({ action: 'block', maxHopDepth: 2, coolDownSeconds: 0 });
    expect(allowed(await decide(toolCall(who, 'r1', { n: 1 }, { hops: { hops: ['a'], overflow: false } })))).toBeUndefined();
    expect(denial(await decide(toolCall(who, 'r2', { n: 2 }, { hops: { hops: ['a', 'b'], overflow: false } }))).details).toEqual({ rules: ['hop-depth'] });
    expect(denial(await decide(toolCall(who, 'r3', { n: 3 }, { hops: { hops: [], overflow: true } }))).details).toEqual({ rules: ['hop-depth'] });
  });

  it('a block with no cool-down refuses only the tripping call, without Retry-After', async () => {
    const { decide } = setup();
    const who = principal({ action: 'block', maxHopDepth: 1, coolDownSeconds: 0 });
    const err = denial(await decide(toolCall(who, 'r1', { n: 1 }, { hops: { hops: ['a'], overflow: false } })));
    expect(err.headers).toEqual({});
    expect(allowed(await decide(toolCall(who, 'r2', { n: 2 })))).toBeUndefined();
  });
});

describe('loop-detection policy: what makes two calls the same', () => {
  it('tool calls: the tool and its arguments, whatever their key order and _meta', async () => {
    const { decide } = setup();
    const who = twice('block');
    allowed(await decide(toolCall(who, 'r1', { q: 'x', opts: { a: 1, b: 2 } }, { meta: { progressToken: 1 } })));
    const d = await decide(toolCall(who, 'r2', { opts: { b: 2, a: 1 }, q: 'x' }, { meta: { progressToken: 2, traceparent: '00-abc' } }));
    expect(denial(d).code).toBe('LOOP_DETECTED');
  });

  it('tool calls with other arguments, or of another tool, are not the same', async () => {
    const { decide } = setup();
    const who = twice('block');
    allowed(await decide(toolCall(who, 'r1', { q: 'x' })));
    allowed(await decide(toolCall(who, 'r2', { q: 'y' })));
    allowed(await decide(toolCall(who, 'r3', { q: 'x' }, { tool: 'fetch' })));
    allowed(await decide(toolCall(who, 'r4', { q: 'x', extra: null })));
  });

  it('tool calls: a junk member beside name and arguments does not make a repeat look new', async () => {
    const { decide } = setup();
    const who = twice('block');
    const withJunk = (requestId: string, nonce: number) => {
      const ctx = toolCall(who, requestId, { q: 'x' });
      const msg = (ctx.payload as { inbound: { message: { params: Record<string, unknown> } } }).inbound.message;
      msg.params = { ...msg.params, nonce };
      return ctx;
    };
    allowed(await decide(withJunk('r1', 1)));
    expect(denial(await decide(withJunk('r2', 2))).code).toBe('LOOP_DETECTED');
  });

  it('tool calls: a made-up inputResponses or requestState (the client writes them) does not make a repeat look new', async () => {
    const { decide } = setup();
    const who = twice('block');
    allowed(await decide(toolCall(who, 'r1', { q: 'x' })));
    const next = toolCall(who, 'r2', { q: 'x' });
    const msg = (next.payload as { inbound: { message: { params: Record<string, unknown> } } }).inbound.message;
    msg.params = { ...msg.params, inputResponses: { e1: { action: 'accept' } }, requestState: 'x2' };
    expect(denial(await decide(next)).code).toBe('LOOP_DETECTED');
  });

  it('resources: two spellings of one resource are the same call (the name authorize-target governs it as)', async () => {
    const { decide } = setup();
    const who = twice('block');
    const read = (requestId: string, uri: string) => resourceRead(who, requestId, uri, 'fake__a');
    allowed(await decide(read('r1', 'fake+file:///docs/a.txt')));
    expect(denial(await decide(read('r2', 'fake+FILE:///x/../docs/a.txt'))).code).toBe('LOOP_DETECTED');
  });

  it('resources: percent-encoded unreserved characters spell the same URI (RFC 3986), others do not', async () => {
    const { decide } = setup();
    const who = twice('block');
    const read = (requestId: string, uri: string) => resourceRead(who, requestId, uri, 'h__items');
    allowed(await decide(read('r1', 'h+mem://items/ab')));
    expect(denial(await decide(read('r2', 'h+mem://items/%61%62'))).code).toBe('LOOP_DETECTED');
    const other = setup();
    allowed(await other.decide(read('s1', 'h+mem://items/a%2Fb')));
    allowed(await other.decide(read('s2', 'h+mem://items/a/b')));
  });

  it('resources: two resources governed under one name (one template) are not the same call', async () => {
    const { decide } = setup();
    const who = twice('block');
    for (const [id, uri] of [['r1', 'gh+repo://acme/issues'], ['r2', 'gh+repo://other/issues'], ['r3', 'gh+repo://third/issues']]) {
      allowed(await decide(resourceRead(who, id!, uri!, 'gh__issues')));
    }
  });

  it('LLM calls: the request digest', async () => {
    const { decide } = setup();
    const who = twice('block');
    allowed(await decide(llmCall(who, 'r1', 'digest-1', 'Hello')));
    // Different bodies with one digest are the same call; the digest is all that is compared.
    expect(denial(await decide(llmCall(who, 'r2', 'digest-1', 'Something else'))).code).toBe('LOOP_DETECTED');
  });

  it('LLM calls with another digest are not the same', async () => {
    const { decide } = setup();
    const who = twice('block');
    allowed(await decide(llmCall(who, 'r1', 'digest-1')));
    allowed(await decide(llmCall(who, 'r2', 'digest-2')));
  });
});

describe('loop-detection policy: what it leaves alone', () => {
  it.each([
    ['an agent without loops', () => toolCall(principal(), 'r')],
    ['no principal', () => toolCall(null, 'r')],
    ['an admin', () => toolCall({ kind: 'admin', tokenId: 'admin' }, 'r')],
    ['protocol housekeeping', () => makeContext({ channel: 'mcp', action: 'tools/list', principal: twice('block') })],
  ])('passes %s through and records nothing', async (_name, build) => {
    const { decide, onLoopTrip } = setup();
    for (let i = 0; i < 5; i++) expect(await decide(build())).toEqual({ kind: 'allow' });
    // Even a hop cycle goes unnoticed.
    expect(await decide({ ...build(), hops: { hops: ['bot'], overflow: true } })).toEqual({ kind: 'allow' });
    expect(onLoopTrip).not.toHaveBeenCalled();
  });

  it('lets everything through without a guard', async () => {
    const policy = createLoopDetectionPolicy({});
    const who = twice('block');
    for (const id of ['r1', 'r2', 'r3']) expect(await policy.request!(toolCall(who, id))).toEqual({ kind: 'allow' });
  });

  it('keeps agents apart', async () => {
    const { decide } = setup();
    allowed(await decide(toolCall(twice('block'), 'r1')));
    allowed(await decide(toolCall(principal({ repetition: { threshold: 2, windowSeconds: 60 } }, 'other'), 'r2')));
  });
});

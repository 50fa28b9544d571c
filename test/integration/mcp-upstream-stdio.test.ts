import { afterEach, describe, expect, it } from 'vitest';
import type { JsonRpcNotification } from '../../src/mcp/jsonrpc.js';
import { pino } from 'pino';
import { createUpstreamClient } from '../../src/mcp/upstream/index.js';
import { client, clientInfo, closeClients, rejection, upstreamConfig, EVERYTHING, FIXTURES, peakRetainedBuffers, textOf, waitFor } from '../fixtures/mcp-upstreams/setup.js';

const MISBEHAVING = `${FIXTURES}misbehaving-stdio.mjs`;

afterEach(closeClients);
const stdio = (args: string[], extra: Record<string, unknown> = {}, opts: Parameters<typeof client>[1] = {}) =>
  client({ transport: 'stdio', command: process.execPath, args, ...extra }, opts);

describe('stdio upstream: server-everything (2025-11-25)', () => {
  it('falls back from server/discover to initialize, lists tools and calls echo', async () => {
    const c = stdio([EVERYTHING, 'stdio']);
    await c.start();
    expect(c.state).toBe('ready');
    expect(c.info?.era).toBe('legacy');
    expect(c.info?.serverInfo?.name).toBeTruthy();
    const tools = await c.listAll('tools');
    expect(tools.map((t) => t.name)).toContain('echo');
    const res = await c.request('tools/call', { name: 'echo', arguments: { message: 'hello' } });
    expect(textOf(res.result)).toBe('Echo: hello');
    expect(res.bytes).toBeGreaterThan(20);
  });

  it('restores the caller progress token on progress notifications of a long-running tool', async () => {
    const c = stdio([EVERYTHING, 'stdio']);
    await c.start();
    const seen: JsonRpcNotification[] = [];
    const res = await c.request(
      'tools/call',
      { name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 }, _meta: { progressToken: 'agent-token-7' } },
      { onNotification: (n) => seen.push(n) },
    );
    expect(textOf(res.result)).toContain('Long running operation completed');
    expect(seen.map((n) => [n.method, n.params?.progressToken, n.params?.progress])).toEqual([
      ['notifications/progress', 'agent-token-7', 1],
      ['notifications/progress', 'agent-token-7', 2],
      ['notifications/progress', 'agent-token-7', 3],
    ]);
  });
});

describe('stdio upstream: a 2026-07-28 server (SDK v2 serveStdio)', () => {
  it('negotiates the modern era with server/discover and calls tools with the envelope', async () => {
    const c = stdio([`${FIXTURES}modern-stdio.mjs`]);
    await c.start();
    expect(c.info).toMatchObject({ era: 'modern', protocolVersion: '2026-07-28' });
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'modern stdio' } })).result)).toBe('Echo: modern stdio');
    const seen: JsonRpcNotification[] = [];
    await c.request('tools/call', { name: 'progress', arguments: { steps: 2 }, _meta: { progressToken: 5 } }, { onNotification: (n) => seen.push(n) });
    expect(seen.map((n) => n.params?.progressToken)).toEqual([5, 5]);
  });

  it('uses initialize when pinned to 2025-11-25, against the same dual-era server', async () => {
    const c = stdio([`${FIXTURES}modern-stdio.mjs`], { protocol: '2025-11-25' });
    await c.start();
    expect(c.info?.era).toBe('legacy');
    expect(textOf((await c.request('tools/call', { name: 'echo', arguments: { message: 'legacy' } })).result)).toBe('Echo: legacy');
  });
});

describe('stdio upstream: misbehaving server', () => {
  it('paginates tools/list and refuses a listing over maxListItems', async () => {
    const c = stdio([MISBEHAVING]);
    await c.start();
    expect((await c.listAll('tools')).length).toBe(12);
    const small = stdio([MISBEHAVING], { maxListItems: 7 });
    await small.start();
    const err = await rejection(small.listAll('tools'));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.message).toContain('more than 7 items');
  });

  it('passes only PATH, HOME, LANG and the configured variables (secret refs resolved) to the process', async () => {
    const c = stdio([MISBEHAVING], { env: { FIXTURE_SECRET: { env: 'WARDEN_TEST_SECRET' }, PLAIN: 'x' } }, {
      env: { PATH: process.env.PATH, HOME: '/tmp', WARDEN_TEST_SECRET: 's3cret', GATEWAY_ONLY: 'nope' },
    });
    await c.start();
    const res = await c.request('tools/call', { name: 'env', arguments: {} });
    const sc = res.result?.structuredContent as { keys: string[]; secret: string };
    // The process got exactly the secret, and its echo of it is redacted before any agent sees it.
    expect(sc.secret).toBe('[REDACTED]');
    expect(sc.keys).not.toContain('GATEWAY_ONLY');
    expect(sc.keys).not.toContain('WARDEN_TEST_SECRET');
    expect(sc.keys.filter((k) => !['PATH', 'HOME', 'LANG', 'FIXTURE_SECRET', 'PLAIN'].includes(k))).toEqual([]);
  });

  it('keeps the secrets it passed to the process out of the log of its stderr', async () => {
    const lines: string[] = [];
    const log = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const config = upstreamConfig({ transport: 'stdio', command: process.execPath, args: [MISBEHAVING], env: { FIXTURE_SECRET: { env: 'WARDEN_TEST_SECRET' }, PRINT_SECRET: '1' } });
    const c = createUpstreamClient(config, { log, clientInfo, env: { PATH: process.env.PATH, WARDEN_TEST_SECRET: 's3cret-of-the-upstream' } });
    try {
      await c.start();
      await waitFor(() => lines.some((l) => l.includes('FIXTURE_SECRET=')));
      expect(lines.join('\n')).not.toContain('s3cret-of-the-upstream');
      expect(lines.find((l) => l.includes('FIXTURE_SECRET='))).toContain('FIXTURE_SECRET=[REDACTED]');
    } finally {
      await c.close();
    }
  });

  it('fails start with a clear error when a secret reference cannot be resolved', async () => {
    const c = stdio([MISBEHAVING], { env: { FIXTURE_SECRET: { env: 'WARDEN_TEST_MISSING' } }, restart: { initialDelayMs: 60_000 } }, { env: {} });
    const err = await rejection(c.start());
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(err.message).toContain('FIXTURE_SECRET');
    expect(c.state).toBe('failed');
  });

  it('times out a request that is never answered (overall deadline) and one that goes idle', async () => {
    const c = stdio([MISBEHAVING], { timeouts: { idleMs: 150 } });
    await c.start();
    const t0 = performance.now();
    const overall = await rejection(c.request('tools/call', { name: 'hang', arguments: {} }, { timeoutMs: 120 }));
    expect(overall.code).toBe('UPSTREAM_TIMEOUT');
    expect(performance.now() - t0).toBeLessThan(1000);
    const idle = await rejection(c.request('tools/call', { name: 'slow', arguments: { ms: 600 } }));
    expect(idle.code).toBe('UPSTREAM_TIMEOUT');
    expect(idle.message).toContain('sent nothing for 150 ms');
    // Progress counts as a sign of life: the same slow call with progress every 50 ms succeeds.
    const alive = await c.request('tools/call', { name: 'slow', arguments: { ms: 400, progressEveryMs: 50 }, _meta: { progressToken: 1 } });
    expect(textOf(alive.result)).toBe('slow done');
  });

  it('on abort sends notifications/cancelled with the upstream id and rejects', async () => {
    const c = stdio([MISBEHAVING]);
    await c.start();
    const ac = new AbortController();
    const p = c.request('tools/call', { name: 'hang', arguments: {} }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const err = await rejection(p);
    expect(err.code).toBe('CLIENT_CLOSED_REQUEST'); // the caller gave up: not the upstream's failure
    expect(err.message).toContain('cancelled');
    const log = JSON.parse(textOf((await c.request('tools/call', { name: 'cancelled-log', arguments: {} })).result)) as { hangIds: number[]; cancelled: number[] };
    expect(log.hangIds).toHaveLength(1);
    expect(log.cancelled).toEqual(log.hangIds);
  });

  it('drops responses with unknown ids and delivers each request only its own answer', async () => {
    const c = stdio([MISBEHAVING]);
    await c.start();
    const slow = c.request('tools/call', { name: 'slow', arguments: { ms: 200 } });
    const res = await c.request('tools/call', { name: 'unknown-id', arguments: {} });
    expect(textOf(res.result)).toBe('genuine');
    // The forged "id + 1" could only hit a request sent after; none was, so it is unknown too.
    expect(textOf((await slow).result)).toBe('slow done');
    expect(c.stats.unknownResponses).toBe(3);
  });

  it('drops notifications beyond the rate limit instead of queueing them', async () => {
    const c = stdio([MISBEHAVING], {}, { maxNotificationsPerSecond: 100 });
    await c.start();
    let delivered = 0;
    const session: JsonRpcNotification[] = [];
    c.on('notification', (n) => session.push(n));
    const res = await c.request('tools/call', { name: 'flood', arguments: { count: 5000 }, _meta: { progressToken: 'p' } }, { onNotification: () => delivered++ });
    expect(textOf(res.result)).toBe('flooded');
    expect(delivered).toBeGreaterThan(50);
    expect(delivered).toBeLessThan(300);
    expect(session.length).toBeLessThan(300);
    expect(c.stats.droppedNotifications).toBeGreaterThan(9000);
  });

  it.each([
    ['at its start', true],
    ['at its end (v1 SDK order)', false],
  ])('fails a response over maxResultBytes with the id %s, with bounded memory, and keeps serving', async (_label, idFirst) => {
    const c = stdio([MISBEHAVING], { maxResultBytes: 1024 * 1024 });
    await c.start();
    const { value, peak } = await peakRetainedBuffers(() => c.request('tools/call', { name: 'huge', arguments: { bytes: 100 * 1024 * 1024, idFirst } }, { timeoutMs: 20_000 }));
    const err = await rejection(Promise.reject(value));
    expect(err.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(err.message).toBe('Upstream response too large');
    expect(peak).toBeLessThan(32 * 1024 * 1024);
    await waitFor(() => c.stats.oversizedMessages === 1, 20_000);
    const after = await c.request('tools/call', { name: 'echo', arguments: { message: 'still here' } }, { timeoutMs: 20_000 });
    expect(textOf(after.result)).toBe('Echo: still here');
  }, 30_000);

  it('answers sampling requests with an error when the caller has no handler, and routes them when it has', async () => {
    const c = stdio([MISBEHAVING], { allowSampling: true });
    await c.start();
    const denied = await c.request('tools/call', { name: 'sample', arguments: {} });
    expect(JSON.parse(textOf(denied.result))).toMatchObject({ error: { code: -32601 } });
    const seen: string[] = [];
    const allowed = await c.request(
      'tools/call',
      { name: 'sample', arguments: {} },
      {
        onServerRequest: async (r) => {
          seen.push(r.method);
          return { role: 'assistant', content: { type: 'text', text: 'sampled' }, model: 'm' };
        },
      },
    );
    expect(seen).toEqual(['sampling/createMessage']);
    expect(JSON.parse(textOf(allowed.result))).toMatchObject({ result: { content: { text: 'sampled' } } });
  });

  it('fails pending calls when the process crashes and restarts it with growing back-off', async () => {
    const c = stdio([MISBEHAVING], { restart: { initialDelayMs: 100, maxDelayMs: 1000 } });
    await c.start();
    const events: [string, number][] = [];
    c.on('state', (s) => events.push([s, performance.now()]));
    const gaps: number[] = [];
    for (let i = 0; i < 3; i++) {
      const pid = c.pid;
      const err = await rejection(c.request('tools/call', { name: 'crash', arguments: {} }));
      expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
      await waitFor(() => c.state === 'ready' && c.pid !== pid);
      const failed = events.findLast((e) => e[0] === 'failed')!;
      const starting = events.findLast((e) => e[0] === 'starting')!;
      gaps.push(starting[1] - failed[1]);
    }
    // Equal jitter: attempt n waits between base/2 and base, base = 100 ms * 2^n.
    expect(gaps[0]).toBeGreaterThanOrEqual(45);
    expect(gaps[0]).toBeLessThan(160);
    expect(gaps[2]).toBeGreaterThanOrEqual(195);
    expect(c.info?.era).toBe('legacy');
  });

  it('treats silence before initialize as legacy (short probe) and survives a server that exits on the probe', async () => {
    const silent = stdio([MISBEHAVING], { timeouts: { connectMs: 400 } }, { env: { ...process.env, IGNORE_PREINIT: '1' } });
    await silent.start();
    expect(silent.info?.era).toBe('legacy');
    const exiting = stdio([MISBEHAVING], {}, { env: { ...process.env, EXIT_ON_PREINIT: '1' } });
    await exiting.start();
    expect(exiting.info?.era).toBe('legacy');
    expect(textOf((await exiting.request('tools/call', { name: 'echo', arguments: { message: 'x' } })).result)).toBe('Echo: x');
  });

  it('emits listChanged on notifications/tools/list_changed and on the refresh timer', async () => {
    const c = stdio([MISBEHAVING], { refreshIntervalMs: 1000 });
    await c.start();
    const kinds: string[] = [];
    c.on('listChanged', (k) => kinds.push(k));
    await c.request('tools/call', { name: 'list-changed', arguments: {} });
    await waitFor(() => kinds.length === 1);
    expect(kinds).toEqual(['tools']);
    // The fixture offers tools only, so the timer re-lists tools only.
    await waitFor(() => kinds.length === 2, 2000);
    expect(kinds).toEqual(['tools', 'tools']);
  });

  it('kills the process on close', async () => {
    const c = stdio([MISBEHAVING]);
    await c.start();
    const pid = c.pid!;
    await c.close();
    expect(c.state).toBe('closed');
    expect(() => process.kill(pid, 0)).toThrow();
    const err = await rejection(c.request('tools/call', { name: 'echo', arguments: { message: 'x' } }));
    expect(err.code).toBe('UPSTREAM_UNAVAILABLE');
  });
});

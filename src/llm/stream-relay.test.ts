import { EventEmitter } from 'node:events';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { Pool } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RequestAbort } from '../pipeline/request-abort.js';
import { makeContext } from '../../test/helpers/context.js';
import { AttemptError, AttemptSignal, openAttempt, type OpenAttempt } from './provider-call.js';
import type { ProviderRuntime } from './provider-runtime.js';
import type { LlmRequest } from './request-body.js';
import { relayStream, type Relayed } from './stream-relay.js';

/** A client connection: records each write; `full` makes write() ask the relay to wait for 'drain'. */
class FakeRes extends EventEmitter {
  writes: Buffer[] = [];
  full = false;
  writeHead(): this {
    return this;
  }
  flushHeaders(): void {}
  write(chunk: Buffer): boolean {
    this.writes.push(Buffer.from(chunk));
    return !this.full;
  }
  get text(): string {
    return Buffer.concat(this.writes).toString('utf8');
  }
}

const chunk = (content: string, extra: object = {}) => ({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta: { content }, finish_reason: null }], ...extra });
const ev = (data: unknown) => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
const USAGE = { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 };

/**
 * A provider answer being read, with undici's ways: aborting the attempt destroys the body
 * with the abort reason (a microtask later), and the body errors when the connection breaks.
 */
function harness(opts: { maxResponseBytes?: number; maxEventBytes?: number; clientWantsUsage?: boolean } = {}) {
  const body = new Readable({ read() {} });
  const ctl = new AttemptSignal();
  ctl.on('abort', () => queueMicrotask(() => body.destroy(ctl.reason)));
  const finish = vi.fn();
  const attempt: OpenAttempt = {
    status: 200,
    headers: {},
    body,
    finish,
    abort: (r: AttemptError) => ctl.abort(r),
    signal: ctl,
    failure: (err: unknown) => (ctl.aborted ? ctl.reason! : new AttemptError('reset', `p: ${(err as Error).message}`, err)),
  } as unknown as OpenAttempt;
  const provider = {
    config: { id: 'p', maxEventBytes: opts.maxEventBytes ?? 64 * 1024, maxResponseBytes: opts.maxResponseBytes ?? 1024 * 1024 },
    secrets: [],
  } as unknown as ProviderRuntime;
  const res = new FakeRes();
  const req = { endpoint: 'chat', clientWantsUsage: opts.clientWantsUsage ?? false } as unknown as LlmRequest;
  const relay = (): Promise<Relayed> =>
    relayStream({ ctx: makeContext({ channel: 'llm' }), res: res as unknown as ServerResponse, req, target: {} as never, attempt, provider, headers: {}, estimate: undefined });
  return { body, res, relay, finish, abort: (why = 'the client went away') => ctl.abort(new AttemptError('aborted-by-client', why)) };
}

const tick = () => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('relayStream writes', () => {
  it('writes the events of one read in one write, in order, without the dropped usage chunk, holding back the last event', async () => {
    const { body, res, relay } = harness();
    const one = ev(chunk('a')) + ev(chunk('b')) + ev(chunk('c'));
    const two = ev(chunk('d', { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })) + ev({ ...chunk(''), choices: [], usage: USAGE }) + ev('[DONE]');
    const out = relay();
    body.push(one);
    await tick();
    expect(res.writes.map(String)).toEqual([one]);
    body.push(two);
    body.push(null);
    const r = await out;
    expect(res.writes.map(String)).toEqual([one, ev(chunk('d', { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }))]);
    expect(String(r.tail)).toBe(ev('[DONE]'));
    expect(r.failure).toBeNull();
    expect(r.events).toBe(4);
    expect(r.bytes).toBe(Buffer.concat(res.writes).length);
    expect(r.usage).toEqual(USAGE);
    expect(r.delivered()).toBe('abc');
  });

  it('past maxResponseBytes writes exactly the events before the one that crosses it', async () => {
    const events = ['a', 'b', 'c', 'd'].map((x) => ev(chunk(x.repeat(10))));
    const cap = events[0]!.length + events[1]!.length + 5;
    const { body, res, relay } = harness({ maxResponseBytes: cap });
    const out = relay();
    body.push(events.join(''));
    const r = await out;
    expect(r.failure?.message).toMatch(/exceeds/);
    expect(res.text).toBe(events[0]! + events[1]!);
    expect(r.bytes).toBeGreaterThan(cap);
  });

  it('waits for the client to drain before reading on (backpressure per read)', async () => {
    const { body, res, relay } = harness();
    res.full = true;
    const out = relay();
    body.push(ev(chunk('a')) + ev(chunk('b')));
    await tick();
    body.push(ev(chunk('c')));
    await tick();
    expect(res.writes.map(String)).toEqual([ev(chunk('a')) + ev(chunk('b'))]);
    res.full = false;
    res.emit('drain');
    await tick();
    expect(res.text).toBe(ev(chunk('a')) + ev(chunk('b')) + ev(chunk('c')));
    body.push(ev('[DONE]'));
    body.push(null);
    expect((await out).failure).toBeNull();
  });
});

describe('relayStream headers', () => {
  /** Records what reaches the client's socket, and when, in order: cork state included. */
  function withSocket(res: FakeRes) {
    const log: string[] = [];
    let corked = 0;
    const socket = { cork: () => void (corked++, log.push('cork')), uncork: () => void (corked--, log.push('uncork')) };
    Object.assign(res, { socket });
    res.flushHeaders = () => void log.push(corked > 0 ? 'headers (held)' : 'headers (sent)');
    const write = res.write.bind(res);
    res.write = (c: Buffer) => (log.push(corked > 0 ? 'events (held)' : 'events (sent)'), write(c));
    return log;
  }

  it('sends the headers together with the first events when the provider already sent them', async () => {
    const { body, res, relay } = harness();
    const log = withSocket(res);
    body.push(ev(chunk('a')));
    const out = relay();
    await tick();
    expect(log).toEqual(['cork', 'headers (held)', 'events (held)', 'uncork']);
    body.push(ev('[DONE]'));
    body.push(null);
    expect((await out).failure).toBeNull();
  });

  it('sends the headers at once when the provider has sent no event yet', async () => {
    const { body, res, relay } = harness();
    const log = withSocket(res);
    const out = relay();
    await tick();
    expect(log).toEqual(['headers (sent)']);
    body.push(ev(chunk('a')) + ev('[DONE]'));
    body.push(null);
    expect((await out).failure).toBeNull();
    expect(log).toEqual(['headers (sent)', 'events (sent)']);
  });

  it('lets the headers go when the first read holds no whole event', async () => {
    const { body, res, relay } = harness();
    const log = withSocket(res);
    body.push('data: {"partial"');
    const out = relay();
    await tick();
    expect(log).toEqual(['cork', 'headers (held)', 'uncork']);
    body.push(': 1}\n\n' + ev('[DONE]'));
    body.push(null);
    await out;
  });
});

describe('relayStream failures', () => {
  it('does not crash when the client goes away while the events before an oversized one wait for a slow client', async () => {
    // The body is left undestroyed by the for-await (destroyOnReturn: false) while the relay
    // still writes the events before the oversized one: an 'error' on it then had no listener.
    const { body, res, relay, abort } = harness({ maxEventBytes: 200 });
    const unhandled: unknown[] = [];
    const onError = (err: unknown) => unhandled.push(err);
    process.on('uncaughtException', onError);
    try {
      res.full = true;
      const out = relay();
      body.push(ev(chunk('a')) + ev(chunk('x'.repeat(500))));
      await tick();
      expect(res.writes.map(String)).toEqual([ev(chunk('a'))]);
      abort();
      const r = await out;
      await tick();
      expect(unhandled).toEqual([]);
      expect(r.failure?.message).toMatch(/larger than 200 bytes/);
      expect(r.delivered()).toBe('a');
      expect(body.destroyed).toBe(true);
    } finally {
      process.off('uncaughtException', onError);
    }
  });

  it('bills what was written when the connection breaks mid-stream', async () => {
    const { body, res, relay } = harness();
    const out = relay();
    body.push(ev(chunk('a')) + ev(chunk('b')));
    await tick();
    body.destroy(new Error('socket hang up'));
    const r = await out;
    expect(r.failure?.code).toBe('UPSTREAM_BAD_RESPONSE');
    expect(r.tail).toBeNull();
    expect(res.text).toBe(ev(chunk('a')) + ev(chunk('b')));
    expect(r.delivered()).toBe('ab');
  });
});

describe('relayStream after the last event', () => {
  it('discards events that follow the last one in the same read: nothing is forwarded or counted after it', async () => {
    const { body, res, relay } = harness();
    const out = relay();
    body.push(ev(chunk('hello')) + ev('[DONE]') + ev(chunk('smuggled')));
    body.push(null);
    const r = await out;
    expect(res.text).toBe(ev(chunk('hello')));
    expect(String(r.tail)).toBe(ev('[DONE]'));
    expect(r.events).toBe(1);
    expect(r.delivered()).toBe('hello');
  });

  it('reads the rest of the body instead of destroying it, and leaves no timer once it ends', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { body, relay, finish } = harness();
    const out = relay();
    body.push(ev(chunk('a')) + ev('[DONE]'));
    const r = await out;
    expect(r.failure).toBeNull();
    expect(finish).toHaveBeenCalledTimes(1);
    expect(body.destroyed).toBe(false);
    expect(vi.getTimerCount()).toBe(1);
    body.push('\n');
    body.push(null);
    await vi.waitFor(() => expect(body.destroyed).toBe(true));
    expect(vi.getTimerCount()).toBe(0);
  });

  it('cuts off a provider that keeps its response open, after a second, and an error from it then is nobody\'s', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { body, relay } = harness();
    const out = relay();
    body.push(ev(chunk('a')) + ev('[DONE]'));
    await out;
    body.push(': still here\n\n');
    vi.advanceTimersByTime(999);
    expect(body.destroyed).toBe(false);
    vi.advanceTimersByTime(1);
    expect(body.destroyed).toBe(true);
    const late = harness();
    const out2 = late.relay();
    late.body.push(ev('[DONE]'));
    await out2;
    late.body.destroy(new Error('ECONNRESET'));
    await vi.waitFor(() => expect(vi.getTimerCount()).toBe(0));
  });
});

describe('relayStream with a real provider connection', () => {
  /** A provider on loopback that streams `events` and then ends its response after `endAfterMs` (or never). */
  async function provider(events: string, endAfterMs: number | null) {
    let connections = 0;
    const open = new Set<ServerResponse>();
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(events);
      open.add(res);
      res.once('close', () => open.delete(res));
      if (endAfterMs !== null) setTimeout(() => res.end(), endAfterMs);
    });
    server.on('connection', () => connections++);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    const dispatcher = new Pool(`http://127.0.0.1:${port}`, { keepAliveTimeout: 10_000 });
    const runtime = {
      config: { id: 'p', maxEventBytes: 64 * 1024, maxResponseBytes: 1024 * 1024, timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 5000, totalMs: 10_000 } },
      origin: `http://127.0.0.1:${port}`,
      basePath: '',
      query: '',
      headers: {},
      secrets: [],
      dispatcher,
    } as unknown as ProviderRuntime;
    const call = async () => {
      const attempt = await openAttempt(runtime, '/chat/completions', '{}', { signal: new RequestAbort(), accept: 'text/event-stream' });
      const res = new FakeRes();
      const req = { endpoint: 'chat', clientWantsUsage: false } as unknown as LlmRequest;
      const r = await relayStream({ ctx: makeContext({ channel: 'llm' }), res: res as unknown as ServerResponse, req, target: {} as never, attempt, provider: runtime, headers: {}, estimate: undefined });
      return { r, res, body: attempt.body };
    };
    const close = async () => {
      for (const res of open) res.destroy();
      await dispatcher.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    };
    return { call, close, connections: () => connections, open: () => open.size };
  }

  it('reuses the connection after the last event when the provider ends its response', async () => {
    const p = await provider(ev(chunk('a')) + ev('[DONE]'), 5);
    try {
      for (let i = 0; i < 3; i++) {
        const { r, res, body } = await p.call();
        expect(r.failure).toBeNull();
        expect(res.text).toBe(ev(chunk('a')));
        await vi.waitFor(() => expect(body.readableEnded || body.destroyed).toBe(true));
        await tick();
      }
      expect(p.connections()).toBe(1);
    } finally {
      await p.close();
    }
  });

  it('cuts a provider that keeps its response open after the last event, without an unhandled error', async () => {
    const p = await provider(ev(chunk('a')) + ev('[DONE]'), null);
    const unhandled: unknown[] = [];
    const onError = (err: unknown) => unhandled.push(err);
    process.on('uncaughtException', onError);
    try {
      const t0 = Date.now();
      const { r, body } = await p.call();
      expect(Date.now() - t0).toBeLessThan(900);
      expect(r.failure).toBeNull();
      expect(p.open()).toBe(1);
      await vi.waitFor(() => expect(body.destroyed).toBe(true), { timeout: 3000 });
      await vi.waitFor(() => expect(p.open()).toBe(0), { timeout: 3000 });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
      await tick();
      expect(unhandled).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
      await p.close();
    }
  });
});

import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Egress } from '../egress/index.js';
import { GATEWAY_VERSION } from '../version.js';
import { AlertWebhook, type AlertEvent, type AlertWebhookDeps } from './alert-webhook.js';
import { capturingLogger, recordingSleep, startReceiver, waitFor, type Receiver, type Reply } from './test-fixtures.js';
import type { WebhookConfig } from './webhook-config.js';

const quiet = pino({ level: 'silent' });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let receiver: Receiver | undefined;
let egress: Egress | undefined;
let webhook: AlertWebhook | undefined;

afterEach(async () => {
  webhook?.close();
  await egress?.close();
  await receiver?.close();
  webhook = egress = receiver = undefined;
});

interface Setup {
  reply?: (n: number) => Reply;
  cfg?: Partial<WebhookConfig>;
  deps?: Partial<AlertWebhookDeps>;
  /** Path and query after the origin. */
  path?: string;
}

async function setup(opts: Setup = {}) {
  receiver = await startReceiver(opts.reply);
  egress = new Egress({ log: quiet });
  const { sleep, waits } = recordingSleep();
  const cfg: WebhookConfig = { url: receiver.origin + (opts.path ?? '/hook'), headers: {}, internal: true, timeoutMs: 2_000, maxAttempts: 5, maxQueue: 100, ...opts.cfg };
  webhook = new AlertWebhook(cfg, { egress, log: quiet, sleep, random: () => 0.5, ...opts.deps });
  return { receiver, webhook, waits };
}

function event(seq: number, extra: Record<string, unknown> = {}): AlertEvent {
  return { type: 'budget.threshold', time: '2025-01-01T00:00:00.000Z', agentId: 'agent-a', seq, ...extra };
}

describe('AlertWebhook delivery', () => {
  it('POSTs each event as JSON, in order, with content-type, user-agent and a distinct idempotency key', async () => {
    const { receiver, webhook } = await setup({ path: '/hook/T0KEN?x=1', cfg: { headers: { Authorization: 'Bearer abc' } } });
    for (let i = 0; i < 5; i++) webhook.send(event(i));
    expect(await webhook.drain(3_000)).toBe(true);

    expect(receiver.requests.map((r) => r.json.seq)).toEqual([0, 1, 2, 3, 4]);
    const first = receiver.requests[0]!;
    expect(first.url).toBe('/hook/T0KEN?x=1');
    expect(first.json).toEqual(event(0));
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['user-agent']).toBe(`warden/${GATEWAY_VERSION}`);
    expect(first.headers.authorization).toBe('Bearer abc');
    const keys = receiver.requests.map((r) => r.headers['idempotency-key']);
    for (const k of keys) expect(k).toMatch(UUID);
    expect(new Set(keys).size).toBe(5);
    expect([webhook.delivered, webhook.failed, webhook.dropped, webhook.pending]).toEqual([5, 0, 0, 0]);
  });

  it('sends the event as it was at send(), not as the caller changed it afterwards', async () => {
    const { receiver, webhook } = await setup();
    const e = event(1, { spentUsd: 8 });
    webhook.send(e);
    e.spentUsd = 9;
    await webhook.drain(3_000);
    expect(receiver.requests[0]!.json.spentUsd).toBe(8);
  });

  it('retries after a 500 with full-jitter backoff and the same idempotency key, then counts it delivered', async () => {
    const { receiver, webhook, waits } = await setup({ reply: (n) => ({ status: n < 2 ? 500 : 204 }) });
    webhook.send(event(1));
    expect(await webhook.drain(3_000)).toBe(true);

    expect(receiver.requests).toHaveLength(3);
    expect(new Set(receiver.requests.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    // random() = 0.5: half of 500 ms, then half of 1,000 ms.
    expect(waits).toEqual([250, 500]);
    expect([webhook.delivered, webhook.failed]).toEqual([1, 0]);
  });

  it('does not retry a 400, counts it failed and moves on to the next event', async () => {
    const { receiver, webhook, waits } = await setup({ reply: (n) => ({ status: n === 0 ? 400 : 200 }) });
    webhook.send(event(1));
    webhook.send(event(2));
    expect(await webhook.drain(3_000)).toBe(true);

    expect(receiver.requests.map((r) => r.json.seq)).toEqual([1, 2]);
    expect(waits).toEqual([]);
    expect([webhook.delivered, webhook.failed]).toEqual([1, 1]);
  });

  it.each([
    [408, 2],
    [429, 2],
    [502, 2],
    [503, 2],
    [401, 1],
    [404, 1],
    [422, 1],
    [302, 1],
  ])('a %i is tried %i time(s)', async (status, tries) => {
    const { receiver, webhook } = await setup({ reply: (n) => ({ status: n === 0 ? status : 200 }) });
    webhook.send(event(1));
    await webhook.drain(3_000);
    expect(receiver.requests).toHaveLength(tries);
    expect(webhook.delivered).toBe(tries === 2 ? 1 : 0);
  });

  it('waits as long as Retry-After asks instead of the backoff, up to five minutes', async () => {
    const { webhook, waits } = await setup({
      reply: (n) => (n === 0 ? { status: 429, headers: { 'retry-after': '7' } } : n === 1 ? { status: 503, headers: { 'retry-after': '86400' } } : { status: 200 }),
    });
    webhook.send(event(1));
    await webhook.drain(3_000);
    expect(waits).toEqual([7_000, 300_000]);
    expect(webhook.delivered).toBe(1);
  });

  it('gives up after maxAttempts, the backoff doubling up to its 30 s cap', async () => {
    const { receiver, webhook, waits } = await setup({ reply: () => ({ status: 503 }), cfg: { maxAttempts: 9 }, deps: { random: () => 0.999 } });
    webhook.send(event(1));
    webhook.send(event(2));
    expect(await webhook.drain(3_000)).toBe(true);

    expect(receiver.requests).toHaveLength(18);
    const ceilings = [500, 1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    expect(waits.slice(0, 8)).toEqual(ceilings.map((c) => c * 0.999));
    expect([webhook.delivered, webhook.failed]).toEqual([0, 2]);
  });

  it('times out a receiver that never answers and retries the same event', async () => {
    const { receiver, webhook, waits } = await setup({ reply: (n) => (n === 0 ? 'hang' : { status: 200 }), cfg: { timeoutMs: 150 } });
    webhook.send(event(1));
    expect(await webhook.drain(3_000)).toBe(true);

    expect(receiver.requests).toHaveLength(2);
    expect(receiver.requests[1]!.headers['idempotency-key']).toBe(receiver.requests[0]!.headers['idempotency-key']);
    expect(waits).toHaveLength(1);
    expect(webhook.delivered).toBe(1);
  });

  it('retries when the receiver drops the connection without answering', async () => {
    const { receiver, webhook } = await setup({ reply: (n) => (n === 0 ? 'reset' : { status: 200 }) });
    webhook.send(event(1));
    expect(await webhook.drain(3_000)).toBe(true);
    expect(receiver.requests).toHaveLength(2);
    expect(webhook.delivered).toBe(1);
  });

  it('retries a refused connection until out of attempts', async () => {
    const { receiver, webhook, waits } = await setup({ cfg: { maxAttempts: 3 } });
    await receiver.close();
    webhook.send(event(1));
    expect(await webhook.drain(3_000)).toBe(true);
    expect(waits).toHaveLength(2);
    expect([webhook.delivered, webhook.failed]).toEqual([0, 1]);
  });

  it('refuses a loopback receiver unless it is marked internal', async () => {
    const { receiver, webhook } = await setup({ cfg: { internal: false } });
    webhook.send(event(1));
    expect(await webhook.drain(3_000)).toBe(true);
    expect(receiver.requests).toHaveLength(0);
    expect(webhook.failed).toBe(1);
  });
});

describe('AlertWebhook never holds up the caller', () => {
  it('returns from send() before the receiver has answered, while earlier events are still in flight', async () => {
    const { receiver, webhook } = await setup({ reply: () => 'hang' });
    expect(webhook.send(event(1))).toBeUndefined();
    expect(webhook.pending).toBe(1);
    expect(receiver.requests).toHaveLength(0);

    await waitFor(() => receiver.held === 1);
    webhook.send(event(2));
    webhook.send(event(3));
    expect(webhook.pending).toBe(3);
    expect(receiver.answered).toBe(0);
    // One at a time: the second event waits for the first.
    expect(receiver.requests).toHaveLength(1);

    for (let n = 1; n <= 3; n++) {
      await waitFor(() => receiver.requests.length === n && receiver.held === 1);
      receiver.release();
    }
    expect(await webhook.drain(3_000)).toBe(true);
    expect(receiver.requests.map((r) => r.json.seq)).toEqual([1, 2, 3]);
  });

  it('drops and counts events beyond maxQueue, logging once a minute', async () => {
    let now = 1_000_000;
    const { log, lines } = capturingLogger();
    const { receiver, webhook } = await setup({ reply: () => 'hang', cfg: { maxQueue: 3 }, deps: { log, now: () => now } });
    for (let i = 0; i < 8; i++) webhook.send(event(i));
    expect([webhook.pending, webhook.dropped]).toEqual([3, 5]);
    const dropLogs = () => lines.filter((l) => l.includes('dropped events'));
    expect(dropLogs()).toHaveLength(1);

    now += 61_000;
    webhook.send(event(9));
    expect(dropLogs()).toHaveLength(2);
    expect(JSON.parse(dropLogs()[1]!)).toMatchObject({ droppedSinceLastLog: 5, droppedTotal: 6 });

    await waitFor(() => receiver.held === 1);
    receiver.release();
    await waitFor(() => webhook.delivered === 1);
    webhook.send(event(10)); // room again once one is delivered
    expect(webhook.dropped).toBe(6);
  });

  it('never throws from send(), counting an event that is not JSON as failed', async () => {
    const { receiver, webhook } = await setup();
    const circular = event(1);
    circular.self = circular;
    expect(() => webhook.send(circular)).not.toThrow();
    expect(() => webhook.send(event(2, { big: 1n }))).not.toThrow();
    webhook.send(event(3));
    await webhook.drain(3_000);
    expect([webhook.failed, webhook.delivered]).toEqual([2, 1]);
    expect(receiver.requests.map((r) => r.json.seq)).toEqual([3]);
  });
});

describe('AlertWebhook drain and close', () => {
  it('drain() resolves true at once when nothing is pending, false when the receiver does not finish in time', async () => {
    const { webhook } = await setup({ reply: () => 'hang', cfg: { timeoutMs: 2_000 } });
    expect(await webhook.drain(50)).toBe(true);
    webhook.send(event(1));
    expect(await webhook.drain(50)).toBe(false);
    expect(webhook.pending).toBe(1);
  });

  it('close() aborts the attempt in flight, drops the queue and later sends, and settles drain() with false', async () => {
    const { receiver, webhook, waits } = await setup({ reply: () => 'hang' });
    webhook.send(event(1));
    webhook.send(event(2));
    await waitFor(() => receiver.held === 1);
    const drained = webhook.drain(10_000);
    webhook.close();
    expect(await drained).toBe(false);
    webhook.send(event(3));
    expect([webhook.pending, webhook.dropped, webhook.delivered, webhook.failed]).toEqual([0, 3, 0, 0]);
    await new Promise((r) => setTimeout(r, 20));
    expect(receiver.requests).toHaveLength(1);
    expect(waits).toEqual([]);
  });
});

describe('AlertWebhook logging', () => {
  it('logs the origin and status codes but never header values, the URL path or the body', async () => {
    const { log, lines } = capturingLogger();
    const { webhook } = await setup({
      path: '/services/PATH-T0KEN?sig=QUERY-T0KEN',
      reply: (n) => ({ status: n === 0 ? 500 : 403 }),
      cfg: { headers: { authorization: 'Bearer HEADER-S3CRET' } },
      deps: { log },
    });
    webhook.send(event(1, { note: 'BODY-MARKER' }));
    await webhook.drain(3_000);
    expect(webhook.failed).toBe(1);
    const text = lines.join('');
    expect(text).toContain('HTTP 500');
    expect(text).toContain('HTTP 403');
    expect(text).toContain(receiver!.origin);
    for (const secret of ['HEADER-S3CRET', 'PATH-T0KEN', 'QUERY-T0KEN', 'BODY-MARKER']) expect(text).not.toContain(secret);
  });
});

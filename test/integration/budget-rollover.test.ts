/**
 * Budget window rollover with an injected clock: the real gateway, started in this process
 * so its clock can be set, in front of a fake provider. A reservation made just before
 * midnight belongs to the old day; the new day starts empty; the spend of both days is
 * saved under their own windows.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type Gateway } from '../../src/app.js';
import { stateDbPath } from '../../src/data-paths.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log/logger.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';
import { createKey, makeWorkspace, writeFile, type Workspace } from '../helpers/gateway-process.js';

const DAY_1 = Date.parse('2026-11-25T23:59:58Z');
const DAY_2 = Date.parse('2026-11-26T00:00:01Z');

let clock = DAY_1;
let ws: Workspace;
let fake: FakeOpenAi;
let gateway: Gateway;
let client: OpenAI;

beforeAll(async () => {
  fake = await startFakeOpenAi();
  ws = makeWorkspace({
    catalogFrom: null,
    config: `llm: ${JSON.stringify({ providers: [{ id: 'openai', baseUrl: fake.url, internal: true, models: [{ name: 'gpt-4.1-mini' }] }] })}\ngovernance: { flushIntervalMs: 100 }\nlimits: { maxEventLoopDelayMs: 5000 }\n`,
  });
  writeFile(
    join(ws.catalogDir, 'daily.yaml'),
    `schemaVersion: 1\nid: daily\ndisplayName: daily\nowner: team\nmodels: { allow: ["*"] }\nbudgets: [{ name: per-day, channel: llm, window: day, limits: { calls: 3 } }]\n`,
  );
  const { key } = await createKey(ws, 'daily');
  const config = await loadConfig(ws.config);
  gateway = await startGateway(config, createLogger({ level: 'silent', pretty: 'never' }), () => clock);
  client = new OpenAI({ apiKey: key, baseURL: `${gateway.url}/v1`, maxRetries: 0 });
}, 30_000);

afterAll(async () => {
  await gateway?.stop('test over');
  await fake?.close();
  ws?.cleanup();
});

const ask = () => client.chat.completions.create({ model: 'gpt-4.1-mini', messages: [{ role: 'user', content: 'hi' }] });

describe('budget window rollover', () => {
  it('keeps a reservation in the window it was made in and starts the next window empty', async () => {
    await ask();
    await ask();
    // The third call of day 1 is still running at midnight.
    fake.script({ delayMs: 400 });
    const late = ask();
    await expect.poll(() => fake.stats.inFlight).toBe(1);
    await expect(ask()).rejects.toMatchObject({ status: 429, code: 'budget_exceeded' });
    const refusal = (await ask().catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    // Retry-After points at midnight (2 s away on the injected clock).
    expect(Number(refusal.headers?.get('retry-after'))).toBe(2);

    clock = DAY_2;
    // Day 2 is empty although day 1's last reservation has not settled yet.
    await ask();
    await ask();
    await ask();
    await expect(ask()).rejects.toMatchObject({ status: 429 });
    await late;

    // Saved per window: three calls on each day.
    await new Promise((r) => setTimeout(r, 300));
    const db = new Database(stateDbPath(ws.dataDir), { readonly: true });
    try {
      const rows = db.prepare('SELECT window_start w, calls FROM budget_spend ORDER BY w').all() as Array<{ w: number; calls: number }>;
      expect(rows).toEqual([
        { w: Date.parse('2026-11-25T00:00:00Z'), calls: 3 },
        { w: Date.parse('2026-11-26T00:00:00Z'), calls: 3 },
      ]);
    } finally {
      db.close();
    }
  });
});

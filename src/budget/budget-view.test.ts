import { describe, expect, it } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { AgentSpecSchema, type Agent, type Catalog } from '../catalog/index.js';
import type { BudgetSpendRow } from '../state/state-store.js';
import { allBudgetSpecs } from './budget-specs.js';
import { budgetLines, readSaved, type ReadBudget } from './budget-view.js';
import { BudgetLedger, type Amount, type BudgetSpec } from './ledger.js';

const SECOND = 1_000;
const MINUTE = 60_000;
const DAY = 86_400_000;
const NOW = Date.parse('2026-01-15T12:00:30.500Z');
const DAY_START = Date.parse('2026-01-15T00:00:00.000Z');

const amount = (a: Partial<Amount>): Amount => ({ tokens: 0, usd: 0, calls: 0, ...a });

function agent(id: string, budgets: object[], owner = 'team-test'): Agent {
  const spec = AgentSpecSchema.parse(minimalAgent(id, { owner, budgets }));
  return { ...spec, file: `/catalog/${id}.yaml`, secrets: new Map() } as unknown as Agent;
}

function catalog(...agents: Agent[]): Catalog {
  return { agents: new Map(agents.map((a) => [a.id, a])), version: 1, digest: 'test', loadedAt: 0, files: [] } as unknown as Catalog;
}

const BOT = agent('bot', [
  { name: 'daily-tokens', channel: 'llm', window: 'day', limits: { tokens: 1000, usd: 2 } },
  { scope: 'owner', channel: 'tools', window: 'minute', kind: 'rolling', limits: { calls: 10 }, softThresholds: [50] },
]);
const OTHER = agent('other', [{ channel: 'all', window: 'month', limits: { calls: 5 } }]);
const [DAILY, OWNER_MINUTE] = allBudgetSpecs(BOT) as [BudgetSpec, BudgetSpec];

const row = (budgetKey: string, windowStart: number, a: Partial<Amount>): BudgetSpendRow => ({ budgetKey, windowStart, ...amount(a) });

describe('budgetLines', () => {
  it('describes every budget of every agent, from what the reader reports', () => {
    const read: ReadBudget = (spec) =>
      spec.key === DAILY.key
        ? { spent: amount({ tokens: 300, usd: 0.5, calls: 4 }), reserved: amount({ tokens: 200, usd: 0.25, calls: 1 }), windowStart: DAY_START, windowEnd: DAY_START + DAY }
        : { spent: amount({}), reserved: amount({}), windowStart: NOW - MINUTE, windowEnd: null };
    const lines = budgetLines(catalog(BOT, OTHER), undefined, read);
    expect(lines.map((l) => [l.agent, l.budget])).toEqual([
      ['bot', 'daily-tokens'],
      ['bot', 'minute-tools'],
      ['other', 'month-all'],
    ]);
    expect(lines[0]).toEqual({
      agent: 'bot',
      budget: 'daily-tokens',
      key: 'agent:bot|llm|day|calendar',
      scope: 'agent',
      channel: 'llm',
      window: 'day',
      kind: 'calendar',
      action: 'deny',
      limits: { tokens: 1000, usd: 2 },
      spent: amount({ tokens: 300, usd: 0.5, calls: 4 }),
      reserved: amount({ tokens: 200, usd: 0.25, calls: 1 }),
      // Only limited dimensions; reservations count as used.
      remaining: { tokens: 500, usd: 1.25 },
      windowStart: '2026-01-15T00:00:00.000Z',
      windowEnd: '2026-01-16T00:00:00.000Z',
    });
    expect(lines[1]).toMatchObject({ key: 'owner:team-test|tools|minute|rolling', scope: 'owner', channel: 'tools', kind: 'rolling', remaining: { calls: 10 }, windowEnd: null });
  });

  it('shows one agent, or nothing for an agent the catalog does not have', () => {
    const read: ReadBudget = () => ({ spent: amount({}), reserved: null, windowStart: 0, windowEnd: null });
    expect(budgetLines(catalog(BOT, OTHER), 'other', read).map((l) => l.key)).toEqual(['agent:other|all|month|calendar']);
    expect(budgetLines(catalog(BOT, OTHER), 'ghost', read)).toEqual([]);
    expect(budgetLines(catalog(agent('none', [])), undefined, read)).toEqual([]);
  });

  it('never shows a negative remainder when usage ran past the limit', () => {
    const read: ReadBudget = () => ({ spent: amount({ tokens: 1200, usd: 2.5, calls: 20 }), reserved: amount({ tokens: 50 }), windowStart: 0, windowEnd: null });
    const lines = budgetLines(catalog(BOT), undefined, read);
    expect(lines.map((l) => l.remaining)).toEqual([{ tokens: 0, usd: 0 }, { calls: 0 }]);
  });

  it('rounds usd remainders, so a tenth of a dollar spent three times leaves exactly the rest', () => {
    const read: ReadBudget = () => ({ spent: amount({ usd: 0.1 + 0.1 + 0.1 }), reserved: null, windowStart: 0, windowEnd: null });
    expect(budgetLines(catalog(BOT), 'bot', read)[0]?.remaining.usd).toBe(1.7);
  });

  it('matches what the live ledger reports', () => {
    const ledger = new BudgetLedger({ timezone: 'UTC', now: () => NOW });
    const r = ledger.admit([DAILY], amount({ tokens: 100, usd: 0.1, calls: 1 }));
    expect(r.ok).toBe(true);
    const [line] = budgetLines(catalog(BOT), 'bot', (s) => ledger.status(s));
    expect(line).toMatchObject({ reserved: amount({ tokens: 100, usd: 0.1, calls: 1 }), remaining: ledger.remaining(DAILY) });
  });
});

describe('readSaved', () => {
  it('calendar budgets: only the row of the current window counts, reservations unknown', () => {
    const rows = [
      row(DAILY.key, DAY_START, { tokens: 300, usd: 0.1, calls: 2 }),
      row(DAILY.key, DAY_START - DAY, { tokens: 900, calls: 9 }),
      row(DAILY.key, DAY_START + DAY, { tokens: 50 }),
      row('agent:other|llm|day|calendar', DAY_START, { tokens: 700 }),
    ];
    const saved = readSaved(rows, 'UTC', NOW)(DAILY);
    expect(saved).toEqual({ spent: amount({ tokens: 300, usd: 0.1, calls: 2 }), reserved: null, windowStart: DAY_START, windowEnd: DAY_START + DAY });
  });

  it('calendar windows are cut in the given time zone', () => {
    // 12:00 UTC is 21:00 in Tokyo: that day started at 15:00 UTC the day before.
    const tokyoDay = Date.parse('2026-01-14T15:00:00.000Z');
    const rows = [row(DAILY.key, tokyoDay, { tokens: 40 }), row(DAILY.key, DAY_START, { tokens: 900 })];
    expect(readSaved(rows, 'Asia/Tokyo', NOW)(DAILY)).toMatchObject({ spent: amount({ tokens: 40 }), windowStart: tokyoDay, windowEnd: tokyoDay + DAY });
  });

  it('rolling budgets: the sum of the buckets inside the window', () => {
    // Buckets of a rolling minute are one second long; the window is the last minute before NOW.
    const current = Math.floor(NOW / SECOND) * SECOND;
    const rows = [
      row(OWNER_MINUTE.key, current, { calls: 1 }),
      row(OWNER_MINUTE.key, current - 30 * SECOND, { calls: 2, usd: 0.2 }),
      // Partly inside the window: counted, never under-counting.
      row(OWNER_MINUTE.key, current - 60 * SECOND, { calls: 4, usd: 0.1 }),
      row(OWNER_MINUTE.key, current - 61 * SECOND, { calls: 8 }),
      row(OWNER_MINUTE.key, current - DAY, { calls: 16 }),
    ];
    expect(readSaved(rows, 'UTC', NOW)(OWNER_MINUTE)).toEqual({ spent: amount({ calls: 7, usd: 0.3 }), reserved: null, windowStart: NOW - MINUTE, windowEnd: null });
  });

  it('rolling budgets count the same buckets as the live ledger around a bucket\'s exit', () => {
    const bucket = Math.floor(NOW / SECOND) * SECOND;
    const rows = [row(OWNER_MINUTE.key, bucket, { calls: 3 })];
    for (const t of [bucket + MINUTE - 1, bucket + MINUTE, bucket + MINUTE + SECOND - 2, bucket + MINUTE + SECOND + 1]) {
      const ledger = new BudgetLedger({ timezone: 'UTC', now: () => t });
      ledger.load(rows);
      expect(readSaved(rows, 'UTC', t)(OWNER_MINUTE).spent.calls, `at bucket + ${t - bucket} ms`).toBe(ledger.status(OWNER_MINUTE).spent.calls);
    }
  });

  it('rolling budgets agree with the live ledger in the millisecond a bucket leaves', () => {
    const bucket = Math.floor(NOW / SECOND) * SECOND;
    const rows = [row(OWNER_MINUTE.key, bucket, { calls: 3 })];
    const t = bucket + MINUTE + SECOND - 1;
    const ledger = new BudgetLedger({ timezone: 'UTC', now: () => t });
    ledger.load(rows);
    expect(readSaved(rows, 'UTC', t)(OWNER_MINUTE).spent.calls).toBe(ledger.status(OWNER_MINUTE).spent.calls);
  });

  it('feeds budgetLines with no reservations: the remainder is the limit less the saved spend', () => {
    const rows = [row(DAILY.key, DAY_START, { tokens: 250, usd: 1.5 })];
    const [line] = budgetLines(catalog(BOT), 'bot', readSaved(rows, 'UTC', NOW));
    expect(line).toMatchObject({ reserved: null, remaining: { tokens: 750, usd: 0.5 }, windowStart: '2026-01-15T00:00:00.000Z' });
  });
});

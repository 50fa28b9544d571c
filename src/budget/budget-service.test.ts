import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Logger } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AuditEventInput } from '../audit/record.js';
import { GovernanceConfigSchema } from '../config/governance-schema.js';
import { StateStore } from '../state/state-store.js';
import { BudgetService, type AlertSink } from './budget-service.js';
import type { Amount, BudgetSpec } from './ledger.js';

const DAY = 86_400_000;
const NOON = Date.parse('2026-01-15T12:00:00.000Z');
const DAY_START = Date.parse('2026-01-15T00:00:00.000Z');

const SPEC: BudgetSpec = {
  key: 'agent:bot|llm|day|calendar',
  name: 'daily',
  scope: 'agent',
  window: 'day',
  kind: 'calendar',
  limits: { tokens: 100, calls: 10 },
  softThresholds: [],
  action: 'deny',
};
const OTHER: BudgetSpec = { ...SPEC, key: 'agent:other|llm|day|calendar' };

const amount = (a: Partial<Amount>): Amount => ({ tokens: 0, usd: 0, calls: 0, ...a });
const row = (budgetKey: string, a: Partial<Amount>, windowStart = DAY_START) => ({ budgetKey, windowStart, ...amount(a) });

let dir: string;
let store: StateStore;
let cli: StateStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-budget-service-'));
  // The gateway's connection never waits for a lock; the CLI's does.
  store = StateStore.open(join(dir, 'state.db'), { busyTimeoutMs: 0 });
  cli = StateStore.open(join(dir, 'state.db'));
});

afterEach(() => {
  cli.close();
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

function setup(opts: { config?: Record<string, unknown>; state?: StateStore } = {}) {
  const system = vi.fn<(action: string, fields: Partial<AuditEventInput>) => void>();
  const send = vi.fn<AlertSink['send']>();
  const log = { warn: vi.fn(), error: vi.fn() };
  const svc = new BudgetService({
    state: opts.state ?? store,
    config: GovernanceConfigSchema.parse(opts.config ?? {}),
    log: log as unknown as Logger,
    system,
    webhook: { send },
    now: () => NOON,
  });
  return {
    svc,
    system,
    send,
    log,
    spend(spec: BudgetSpec, a: Partial<Amount>) {
      const r = svc.ledger.admit([spec], amount(a));
      if (!r.ok) throw new Error('refused');
      svc.ledger.settle(r.held, amount(a));
    },
  };
}

describe('BudgetService start', () => {
  it('loads the spend saved before it started', () => {
    cli.addBudgetSpend([row(SPEC.key, { tokens: 70, calls: 3 }), row(SPEC.key, { tokens: 100 }, DAY_START - DAY)]);
    const { svc } = setup();
    svc.start();
    expect(svc.ledger.remaining(SPEC)).toEqual({ tokens: 30, calls: 7 });
    svc.close();
  });

  it('does not apply resets recorded before it started again', () => {
    cli.resetBudgets([SPEC.key], NOON - 1000, 'cli');
    cli.addBudgetSpend([row(SPEC.key, { tokens: 40 })]);
    const { svc } = setup();
    svc.start();
    svc.applyResets();
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(40);
    svc.close();
  });
});

describe('BudgetService flush', () => {
  it('writes spend as deltas: two flushes add up in one row', () => {
    const { svc, spend } = setup();
    spend(SPEC, { tokens: 10, usd: 0.25, calls: 1 });
    svc.flush();
    spend(SPEC, { tokens: 5, usd: 0.5, calls: 1 });
    svc.flush();
    expect(cli.listBudgetSpend(0)).toEqual([row(SPEC.key, { tokens: 15, usd: 0.75, calls: 2 })]);
  });

  it('adds to spend another process already saved in the same window', () => {
    cli.addBudgetSpend([row(SPEC.key, { tokens: 20 })]);
    const { svc, spend } = setup();
    spend(SPEC, { tokens: 10 });
    svc.flush();
    expect(cli.listBudgetSpend(0)).toEqual([row(SPEC.key, { tokens: 30 })]);
  });

  it('keeps the spend for the next flush while another connection holds the lock, without logging an error', () => {
    const { svc, spend, log } = setup();
    spend(SPEC, { tokens: 10 });
    const other = new Database(join(dir, 'state.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      svc.flush();
      spend(SPEC, { tokens: 5 });
      svc.flush();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
    expect(cli.listBudgetSpend(0)).toEqual([]);
    expect(log.error).not.toHaveBeenCalled();
    svc.flush();
    expect(cli.listBudgetSpend(0)).toEqual([row(SPEC.key, { tokens: 15 })]);
  });

  it('keeps the spend and logs when a write fails for another reason', () => {
    const failing = {
      listBudgetSpend: () => [],
      listBudgetResets: () => [],
      addBudgetSpend: vi.fn(() => {
        throw new Error('disk I/O error');
      }),
    };
    const { svc, spend, log } = setup({ state: failing as unknown as StateStore });
    spend(SPEC, { tokens: 10 });
    svc.flush();
    expect(failing.addBudgetSpend).toHaveBeenCalledTimes(1);
    expect(log.error).toHaveBeenCalledTimes(1);
    expect(svc.ledger.takePending()).toEqual([row(SPEC.key, { tokens: 10 })]);
  });

  it('writes nothing when nothing was spent', () => {
    const addBudgetSpend = vi.spyOn(store, 'addBudgetSpend');
    const { svc } = setup();
    svc.flush();
    expect(addBudgetSpend).not.toHaveBeenCalled();
  });

  it('close writes what is left', () => {
    const { svc, spend } = setup();
    svc.start();
    spend(SPEC, { calls: 1 });
    svc.close();
    expect(cli.listBudgetSpend(0)).toEqual([row(SPEC.key, { calls: 1 })]);
  });
});

describe('BudgetService resets', () => {
  it('applies a reset another connection (the CLI) committed, once', () => {
    const { svc, spend } = setup();
    svc.start();
    spend(SPEC, { tokens: 60 });
    spend(OTHER, { tokens: 60 });
    svc.flush();
    cli.resetBudgets([SPEC.key], NOON, 'cli');
    svc.applyResets();
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(0);
    expect(svc.ledger.status(OTHER).spent.tokens).toBe(60);
    spend(SPEC, { tokens: 20 });
    svc.applyResets();
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(20);
    svc.close();
    expect(cli.listBudgetSpend(0)).toEqual([row(SPEC.key, { tokens: 20 }), row(OTHER.key, { tokens: 60 })]);
  });

  it('applies a second reset of a budget it already reset', () => {
    const { svc, spend } = setup();
    svc.start();
    spend(SPEC, { tokens: 60 });
    cli.resetBudgets([SPEC.key], NOON, 'cli');
    svc.applyResets();
    cli.resetBudgets([SPEC.key], NOON, 'cli');
    spend(SPEC, { tokens: 30 });
    svc.applyResets();
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(0);
    svc.close();
  });

  it('does not write back spend from before a reset it has not applied yet', () => {
    const { svc, spend } = setup();
    svc.start();
    spend(SPEC, { tokens: 60 });
    cli.resetBudgets([SPEC.key], NOON, 'cli');
    svc.flush();
    svc.applyResets();
    expect(cli.listBudgetSpend(0)).toEqual([]);
    svc.close();
  });

  it('reset() forgets spend in memory and in state.db, and records it for other readers only once', () => {
    const { svc, spend } = setup();
    svc.start();
    spend(SPEC, { tokens: 50 });
    svc.flush();
    spend(SPEC, { tokens: 10 });
    spend(OTHER, { tokens: 5 });
    svc.reset([SPEC.key], 'admin');
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(0);
    expect(cli.listBudgetSpend(0)).toEqual([row(OTHER.key, { tokens: 5 })]);
    expect(cli.listBudgetResets(0)).toEqual([{ id: 1, budgetKey: SPEC.key, at: NOON, by: 'admin' }]);
    // Its own reset is not applied again when the state refresher notices the commit.
    spend(SPEC, { tokens: 7 });
    svc.applyResets();
    expect(svc.ledger.status(SPEC).spent.tokens).toBe(7);
    svc.close();
  });
});

describe('BudgetService toolCost', () => {
  it('takes the first matching toolCosts entry in file order', () => {
    const { svc } = setup({
      config: {
        toolCosts: {
          'search_*': { usd: 0.01 },
          search_web: { usd: 1 },
          'fetch?': { tokens: 30 },
          '*': { usd: 0.001, tokens: 1 },
        },
      },
    });
    expect(svc.toolCost('search_web')).toEqual({ usd: 0.01, tokens: 0 });
    expect(svc.toolCost('fetch1')).toEqual({ usd: 0, tokens: 30 });
    expect(svc.toolCost('fetch12')).toEqual({ usd: 0.001, tokens: 1 });
  });

  it('charges nothing but the call for tools no entry matches', () => {
    const { svc } = setup({ config: { toolCosts: { 'search_*': { usd: 0.01 } } } });
    expect(svc.toolCost('fetch')).toEqual({ usd: 0, tokens: 0 });
  });
});

describe('BudgetService alerts', () => {
  it('records a threshold as a system audit record with the agent from the key, and posts it to the webhook', () => {
    const { system, send, spend, log } = setup();
    spend({ ...SPEC, softThresholds: [50] }, { tokens: 60 });
    expect(system).toHaveBeenCalledTimes(1);
    expect(system).toHaveBeenCalledWith('budget.threshold', {
      agentId: 'bot',
      target: SPEC.key,
      reason: 'daily: 50% of the tokens limit reached',
      details: { type: 'budget.threshold', key: SPEC.key, name: 'daily', dimension: 'tokens', threshold: 50, spent: 60, limit: 100, windowStart: '2026-01-15T00:00:00.000Z' },
    });
    expect(send).toHaveBeenCalledTimes(1);
    const event = send.mock.calls[0]![0];
    expect(event).toMatchObject({ type: 'budget.threshold', agentId: 'bot', key: SPEC.key, threshold: 50, windowStart: '2026-01-15T00:00:00.000Z' });
    expect(Number.isNaN(Date.parse(event.time))).toBe(false);
    expect(log.warn).toHaveBeenCalledTimes(1);
  });

  it('records an overrun, with no agent for an owner budget', () => {
    const { svc, system, send } = setup();
    const owner: BudgetSpec = { ...SPEC, key: 'owner:team-a|all|day|calendar', scope: 'owner' };
    const r = svc.ledger.admit([owner], amount({ tokens: 80 }));
    if (!r.ok) throw new Error('refused');
    svc.ledger.settle(r.held, amount({ tokens: 130 }));
    expect(system).toHaveBeenCalledWith('budget.overrun', expect.objectContaining({ agentId: null, target: owner.key, reason: 'daily: tokens spend above the limit after usage above the reservation' }));
    expect(send).toHaveBeenCalledWith(expect.objectContaining({ type: 'budget.overrun', agentId: null, spent: 130, limit: 100 }));
  });

  it('parses agent ids that contain hyphens and digits', () => {
    const { system, spend } = setup();
    spend({ ...SPEC, key: 'agent:team-bot-2|tools|day|calendar', softThresholds: [10] }, { tokens: 20 });
    expect(system.mock.calls[0]![1].agentId).toBe('team-bot-2');
  });
});

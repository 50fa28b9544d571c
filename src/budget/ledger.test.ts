import { describe, expect, it } from 'vitest';
import { BudgetLedger, DIMENSIONS, type Amount, type BudgetAlert, type BudgetSpec, type Dimension } from './ledger.js';

const SECOND = 1_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Noon, so a day window has 12 h left. */
const NOON = Date.parse('2026-01-15T12:00:00.000Z');
const DAY_START = Date.parse('2026-01-15T00:00:00.000Z');
const NEXT_DAY = DAY_START + DAY;

function spec(overrides: Partial<BudgetSpec> = {}): BudgetSpec {
  return {
    key: 'agent:bot|llm|day|calendar',
    name: 'daily',
    scope: 'agent',
    window: 'day',
    kind: 'calendar',
    limits: { tokens: 100 },
    softThresholds: [],
    action: 'deny',
    ...overrides,
  };
}

function rolling(overrides: Partial<BudgetSpec> = {}): BudgetSpec {
  return spec({ key: 'agent:bot|llm|minute|rolling', name: 'per-minute', window: 'minute', kind: 'rolling', ...overrides });
}

const amount = (a: Partial<Amount>): Amount => ({ tokens: 0, usd: 0, calls: 0, ...a });
const one = (d: Dimension, v: number): Amount => amount({ [d]: v });
const ZERO = amount({});

/** A ledger on a clock the test moves, collecting its alerts. */
function setup(start = NOON) {
  const alerts: BudgetAlert[] = [];
  const clock = { t: start };
  const ledger = new BudgetLedger({ timezone: 'UTC', now: () => clock.t, onAlert: (a) => alerts.push(a) });
  return {
    ledger,
    alerts,
    at: (t: number) => void (clock.t = t),
    advance: (ms: number) => void (clock.t += ms),
    /** Admits and settles at once: spend of `a`. */
    spend(s: BudgetSpec | BudgetSpec[], a: Partial<Amount>) {
      const r = ledger.admit(Array.isArray(s) ? s : [s], amount(a));
      if (!r.ok) throw new Error(`refused on ${r.refusal.dimension}`);
      ledger.settle(r.held, amount(a));
    },
    admitted(s: BudgetSpec | BudgetSpec[], a: Partial<Amount>) {
      const r = ledger.admit(Array.isArray(s) ? s : [s], amount(a));
      if (!r.ok) throw new Error(`refused on ${r.refusal.dimension}`);
      return r.held;
    },
  };
}

describe('BudgetLedger admission', () => {
  const limits: Record<Dimension, { limit: number; step: number }> = {
    tokens: { limit: 100, step: 1 },
    usd: { limit: 2.5, step: 0.000001 },
    calls: { limit: 3, step: 1 },
  };

  for (const d of DIMENSIONS) {
    it(`admits ${d} up to exactly the limit and refuses the smallest step past it`, () => {
      const { ledger } = setup();
      const { limit, step } = limits[d];
      const s = spec({ limits: { [d]: limit } });
      expect(ledger.check([s], one(d, limit))).toBeNull();
      expect(ledger.check([s], one(d, limit + step))).toMatchObject({ dimension: d, limit, used: 0, cost: limit + step });
      expect(ledger.admit([s], one(d, limit - step)).ok).toBe(true);
      expect(ledger.admit([s], one(d, step)).ok).toBe(true);
      const r = ledger.admit([s], one(d, step));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.refusal).toMatchObject({ spec: s, dimension: d, limit, cost: step });
      expect(r.refusal.used).toBeCloseTo(limit, 9);
      // A call costing nothing in this dimension still fits.
      const other = DIMENSIONS.find((x) => x !== d)!;
      expect(ledger.check([s], one(other, 1_000_000))).toBeNull();
    });
  }

  it('reports the first limited dimension that does not fit, in tokens, usd, calls order', () => {
    const { ledger } = setup();
    const s = spec({ limits: { tokens: 10, usd: 1, calls: 1 } });
    expect(ledger.check([s], amount({ tokens: 11, usd: 2, calls: 2 }))?.dimension).toBe('tokens');
    expect(ledger.check([s], amount({ tokens: 10, usd: 2, calls: 2 }))?.dimension).toBe('usd');
    expect(ledger.check([s], amount({ tokens: 10, usd: 1, calls: 2 }))?.dimension).toBe('calls');
  });

  it('check reserves nothing, however often it is asked', () => {
    const { ledger } = setup();
    const s = spec();
    for (let i = 0; i < 5; i++) expect(ledger.check([s], one('tokens', 100))).toBeNull();
    expect(ledger.status(s).reserved).toEqual(ZERO);
    expect(ledger.remaining(s)).toEqual({ tokens: 100 });
  });

  it('a refusal reserves nothing in any budget, also in those listed before the one that refused', () => {
    const { ledger, spend } = setup();
    const roomy = spec({ key: 'agent:bot|all|day|calendar', name: 'roomy', limits: { tokens: 1000, calls: 10 } });
    const full = spec({ key: 'owner:team|llm|day|calendar', name: 'full', scope: 'owner', limits: { tokens: 100 } });
    spend(full, { tokens: 90 });
    const r = ledger.admit([roomy, full], amount({ tokens: 20, calls: 1 }));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.refusal).toMatchObject({ spec: full, dimension: 'tokens', used: 90, cost: 20 });
    expect(ledger.status(roomy)).toMatchObject({ spent: ZERO, reserved: ZERO });
    expect(ledger.status(full)).toMatchObject({ spent: amount({ tokens: 90, calls: 0 }), reserved: ZERO });
    // What still fits is admitted in both.
    expect(ledger.admit([roomy, full], amount({ tokens: 10, calls: 1 })).ok).toBe(true);
    expect(ledger.status(roomy).reserved).toEqual(amount({ tokens: 10, calls: 1 }));
    expect(ledger.status(full).reserved).toEqual(amount({ tokens: 10, calls: 1 }));
  });

  it('counts reservations as used until they settle', () => {
    const { ledger, admitted } = setup();
    const s = spec();
    const held = admitted(s, { tokens: 60 });
    expect(ledger.check([s], one('tokens', 41))).toMatchObject({ used: 60 });
    expect(ledger.remaining(s)).toEqual({ tokens: 40 });
    ledger.settle(held, ZERO);
    expect(ledger.remaining(s)).toEqual({ tokens: 100 });
  });

  it('remaining is never below zero when usage ran past the reservation', () => {
    const { ledger, admitted } = setup();
    const s = spec({ limits: { tokens: 100, calls: 5 } });
    ledger.settle(admitted(s, { tokens: 50, calls: 1 }), amount({ tokens: 180, calls: 1 }));
    expect(ledger.remaining(s)).toEqual({ tokens: 0, calls: 4 });
  });
});

describe('BudgetLedger settlement', () => {
  it.each([
    ['less than reserved', 30],
    ['more than reserved', 70],
    ['nothing', 0],
  ])('moves the reservation to spent with the actual usage (%s)', (_name, actual) => {
    const { ledger, admitted } = setup();
    const s = spec({ limits: { tokens: 1000, usd: 10, calls: 10 } });
    const held = admitted(s, { tokens: 50, usd: 0.5, calls: 1 });
    expect(ledger.status(s)).toMatchObject({ spent: ZERO, reserved: amount({ tokens: 50, usd: 0.5, calls: 1 }) });
    ledger.settle(held, amount({ tokens: actual, usd: actual / 100, calls: actual === 0 ? 0 : 1 }));
    expect(ledger.status(s)).toMatchObject({ spent: amount({ tokens: actual, usd: actual / 100, calls: actual === 0 ? 0 : 1 }), reserved: ZERO });
  });

  it('settles every budget the call was admitted to', () => {
    const { ledger, admitted } = setup();
    const a = spec();
    const b = rolling({ limits: { calls: 5 } });
    ledger.settle(admitted([a, b], { tokens: 40, calls: 1 }), amount({ tokens: 25, calls: 1 }));
    expect(ledger.status(a)).toMatchObject({ spent: amount({ tokens: 25, calls: 1 }), reserved: ZERO });
    expect(ledger.status(b)).toMatchObject({ spent: amount({ tokens: 25, calls: 1 }), reserved: ZERO });
  });

  it('settles a reservation into the calendar window it was made in after the clock passed into the next, which starts empty', () => {
    const { ledger, at, admitted } = setup(NEXT_DAY - SECOND);
    const s = spec();
    const held = admitted(s, { tokens: 80 });
    at(NEXT_DAY + SECOND);
    // The reservation belongs to yesterday: today has the whole limit.
    expect(ledger.status(s)).toMatchObject({ spent: ZERO, reserved: ZERO, windowStart: NEXT_DAY });
    expect(ledger.check([s], one('tokens', 100))).toBeNull();
    ledger.settle(held, one('tokens', 90));
    expect(ledger.status(s)).toMatchObject({ spent: ZERO, reserved: ZERO });
    expect(ledger.remaining(s)).toEqual({ tokens: 100 });
    expect(ledger.takePending()).toEqual([{ budgetKey: s.key, windowStart: DAY_START, tokens: 90, usd: 0, calls: 0 }]);
  });
});

describe('BudgetLedger rolling windows', () => {
  // Buckets of a rolling minute are one second long, aligned to the epoch.
  const T0 = NOON;

  it('lets spend leave the window bucket by bucket', () => {
    const { ledger, at, spend } = setup(T0 + 500);
    const s = rolling({ limits: { tokens: 30 } });
    spend(s, { tokens: 10 });
    at(T0 + 10 * SECOND);
    spend(s, { tokens: 20 });
    at(T0 + 60 * SECOND);
    expect(ledger.status(s).spent.tokens).toBe(30);
    // The bucket [T0, T0 + 1 s) counts while any of it is inside the last minute.
    at(T0 + 61 * SECOND - 2);
    expect(ledger.status(s).spent.tokens).toBe(30);
    at(T0 + 61 * SECOND);
    expect(ledger.status(s).spent.tokens).toBe(20);
    at(T0 + 71 * SECOND);
    expect(ledger.status(s).spent.tokens).toBe(0);
  });

  it('counts a reservation older than the window until it settles, and its usage at the time it settles', () => {
    const { ledger, at, admitted } = setup(T0);
    const s = rolling({ limits: { tokens: 10_000 } });
    const held = admitted(s, { tokens: 10_000 });
    // A long stream: two minutes later the first reservation still holds the whole limit.
    at(T0 + 120 * SECOND);
    expect(ledger.check([s], amount({ tokens: 1 }))).not.toBeNull();
    ledger.settle(held, amount({ tokens: 9_000 }));
    // Settled now, into the current bucket: it counts for the next minute.
    expect(ledger.status(s).spent.tokens).toBe(9_000);
    expect(ledger.check([s], amount({ tokens: 2_000 }))).not.toBeNull();
    at(T0 + 182 * SECOND);
    expect(ledger.status(s).spent.tokens).toBe(0);
  });

  it('says to retry when enough of the oldest spend has left the window', () => {
    const { ledger, at, spend } = setup(T0);
    const s = rolling({ limits: { tokens: 30 } });
    spend(s, { tokens: 10 });
    at(T0 + 10 * SECOND);
    spend(s, { tokens: 20 });
    const now = T0 + 30 * SECOND;
    at(now);

    // 10 more fit once the first bucket has left; 15 more only once both have.
    const ten = ledger.check([s], one('tokens', 10));
    expect(ten?.retryAfterMs).toBe(T0 + 61 * SECOND - now);
    const fifteen = ledger.check([s], one('tokens', 15));
    expect(fifteen?.retryAfterMs).toBe(T0 + 71 * SECOND - now);

    at(now + ten!.retryAfterMs! - 2);
    expect(ledger.check([s], one('tokens', 10))).not.toBeNull();
    at(now + ten!.retryAfterMs!);
    expect(ledger.check([s], one('tokens', 10))).toBeNull();
    expect(ledger.check([s], one('tokens', 15))).not.toBeNull();
    at(now + fifteen!.retryAfterMs!);
    expect(ledger.check([s], one('tokens', 15))).toBeNull();
  });

  it('counts reservations in the bucket they were made in', () => {
    const { ledger, at, admitted } = setup(T0);
    const s = rolling({ limits: { calls: 2 } });
    admitted(s, { calls: 2 });
    at(T0 + 5 * SECOND);
    expect(ledger.check([s], one('calls', 1))?.retryAfterMs).toBe(56 * SECOND);
  });

  it('status of a rolling window: the last window length up to now, no end', () => {
    const { ledger, spend } = setup(T0);
    const s = rolling({ window: 'hour', key: 'agent:bot|llm|hour|rolling', limits: { calls: 5 } });
    spend(s, { calls: 2 });
    expect(ledger.status(s)).toEqual({ spent: amount({ calls: 2 }), reserved: ZERO, windowStart: T0 - HOUR, windowEnd: null });
  });
});

describe('BudgetLedger retry-after', () => {
  it('is the end of the calendar window', () => {
    const { ledger, spend } = setup();
    const s = spec();
    spend(s, { tokens: 100 });
    expect(ledger.check([s], one('tokens', 1))?.retryAfterMs).toBe(12 * HOUR);
    const month = spec({ key: 'agent:bot|llm|month|calendar', window: 'month', limits: { calls: 1 } });
    spend(month, { calls: 1 });
    expect(ledger.check([month], one('calls', 1))?.retryAfterMs).toBe(Date.parse('2026-02-01T00:00:00Z') - NOON);
  });

  it('is undefined when the call alone costs more than the limit, calendar or rolling', () => {
    const { ledger } = setup();
    expect(ledger.check([spec()], one('tokens', 101))).toMatchObject({ dimension: 'tokens', retryAfterMs: undefined });
    expect(ledger.check([rolling({ limits: { usd: 1 } })], one('usd', 1.01))).toMatchObject({ dimension: 'usd', retryAfterMs: undefined });
  });
});

describe('BudgetLedger alerts', () => {
  it('fires each soft threshold once per calendar window and dimension, and again in the next window', () => {
    const { alerts, at, spend } = setup();
    const s = spec({ limits: { tokens: 100, calls: 4 }, softThresholds: [50, 80] });
    spend(s, { tokens: 50, calls: 1 });
    expect(alerts).toEqual([{ type: 'budget.threshold', key: s.key, name: 'daily', dimension: 'tokens', threshold: 50, spent: 50, limit: 100, windowStart: DAY_START }]);
    spend(s, { tokens: 10, calls: 1 });
    expect(alerts.map((a) => `${a.dimension}:${a.threshold}`)).toEqual(['tokens:50', 'calls:50']);
    spend(s, { tokens: 25 });
    spend(s, { tokens: 1 });
    expect(alerts.map((a) => `${a.dimension}:${a.threshold}`)).toEqual(['tokens:50', 'calls:50', 'tokens:80']);

    at(NEXT_DAY + HOUR);
    alerts.length = 0;
    spend(s, { tokens: 90 });
    expect(alerts).toEqual([
      expect.objectContaining({ dimension: 'tokens', threshold: 50, spent: 90, windowStart: NEXT_DAY }),
      expect.objectContaining({ dimension: 'tokens', threshold: 80, spent: 90, windowStart: NEXT_DAY }),
    ]);
  });

  it('re-arms a rolling threshold once the spend has fallen below it', () => {
    const { alerts, advance, spend } = setup();
    const s = rolling({ limits: { calls: 10 }, softThresholds: [50] });
    for (let i = 0; i < 6; i++) spend(s, { calls: 1 });
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ type: 'budget.threshold', dimension: 'calls', threshold: 50, spent: 5, windowStart: NOON - 60 * SECOND });
    advance(62 * SECOND);
    spend(s, { calls: 1 });
    expect(alerts).toHaveLength(1);
    for (let i = 0; i < 4; i++) spend(s, { calls: 1 });
    expect(alerts).toHaveLength(2);
    expect(alerts[1]).toMatchObject({ threshold: 50, spent: 5 });
  });

  it('does not re-arm a rolling threshold while the spend stays above it', () => {
    const { alerts, advance, spend } = setup();
    const s = rolling({ limits: { calls: 10 }, softThresholds: [50] });
    for (let i = 0; i < 5; i++) spend(s, { calls: 1 });
    advance(30 * SECOND);
    spend(s, { calls: 1 });
    expect(alerts).toHaveLength(1);
  });

  it('alerts an overrun when usage above the reservation takes spend past the limit', () => {
    const { ledger, alerts, admitted } = setup();
    const s = spec();
    ledger.settle(admitted(s, { tokens: 80 }), one('tokens', 120));
    expect(alerts).toEqual([{ type: 'budget.overrun', key: s.key, name: 'daily', dimension: 'tokens', spent: 120, limit: 100, windowStart: DAY_START }]);
  });

  it('does not alert an overrun when usage above the reservation stays within the limit, or usage is within the reservation', () => {
    const { ledger, alerts, admitted } = setup();
    const s = spec();
    ledger.settle(admitted(s, { tokens: 40 }), one('tokens', 60));
    ledger.settle(admitted(s, { tokens: 40 }), one('tokens', 40));
    expect(ledger.status(s).spent.tokens).toBe(100);
    expect(alerts).toEqual([]);
  });

  it('alerts an overrun of the window the reservation was made in when it settles after the rollover', () => {
    const { ledger, alerts, at, admitted } = setup(NEXT_DAY - SECOND);
    const s = spec();
    const held = admitted(s, { tokens: 80 });
    at(NEXT_DAY + SECOND);
    ledger.settle(held, one('tokens', 150));
    expect(alerts).toEqual([expect.objectContaining({ type: 'budget.overrun', spent: 150, windowStart: DAY_START })]);
  });

  it('a late settle into the previous window does not repeat a threshold of the current one', () => {
    const { ledger, alerts, at, admitted, spend } = setup(NEXT_DAY - SECOND);
    const s = spec({ softThresholds: [50] });
    const late = admitted(s, { tokens: 10 });
    at(NEXT_DAY + SECOND);
    spend(s, { tokens: 60 });
    expect(alerts).toHaveLength(1);
    ledger.settle(late, one('tokens', 10));
    expect(alerts).toHaveLength(1);
  });
});

describe('BudgetLedger persistence', () => {
  it('hands out unsaved spend once, and again after restorePending', () => {
    const { ledger, spend } = setup();
    const a = spec();
    const b = rolling({ limits: { calls: 10 } });
    spend(a, { tokens: 30, usd: 0.25, calls: 1 });
    spend(b, { calls: 1 });
    const rows = ledger.takePending();
    expect(rows).toEqual([
      { budgetKey: a.key, windowStart: DAY_START, tokens: 30, usd: 0.25, calls: 1 },
      { budgetKey: b.key, windowStart: NOON, tokens: 0, usd: 0, calls: 1 },
    ]);
    expect(ledger.takePending()).toEqual([]);
    ledger.restorePending(rows);
    spend(a, { tokens: 5 });
    expect(ledger.takePending()).toEqual([rows[0] && { ...rows[0], tokens: 35 }, rows[1]]);
    // Spend is unchanged by taking or restoring it.
    expect(ledger.status(a).spent).toEqual(amount({ tokens: 35, usd: 0.25, calls: 1 }));
  });

  it('has nothing pending for reservations alone, or for settlements of nothing', () => {
    const { ledger, admitted } = setup();
    const s = spec();
    admitted(s, { tokens: 10 });
    ledger.settle(admitted(s, { tokens: 10 }), ZERO);
    expect(ledger.takePending()).toEqual([]);
  });

  it('loads saved spend for budgets not used yet, counting only rows of the current window', () => {
    const { ledger } = setup();
    const s = spec({ limits: { tokens: 100, calls: 10 } });
    ledger.load([
      { budgetKey: s.key, windowStart: DAY_START, tokens: 70, usd: 0, calls: 3 },
      { budgetKey: s.key, windowStart: DAY_START - DAY, tokens: 100, usd: 0, calls: 10 },
      { budgetKey: 'agent:other|llm|day|calendar', windowStart: DAY_START, tokens: 100, usd: 0, calls: 10 },
    ]);
    expect(ledger.remaining(s)).toEqual({ tokens: 30, calls: 7 });
    expect(ledger.check([s], one('tokens', 31))).toMatchObject({ used: 70 });
    // Loaded spend is already saved.
    expect(ledger.takePending()).toEqual([]);
  });

  it('loads saved spend into budgets already in use', () => {
    const { ledger, spend } = setup();
    const s = spec();
    spend(s, { tokens: 10 });
    ledger.load([{ budgetKey: s.key, windowStart: DAY_START, tokens: 60, usd: 0, calls: 0 }]);
    expect(ledger.status(s).spent.tokens).toBe(70);
    expect(ledger.takePending()).toEqual([expect.objectContaining({ tokens: 10 })]);
  });

  it('loads rolling buckets and counts those inside the window', () => {
    const { ledger } = setup();
    const s = rolling({ limits: { calls: 10 } });
    ledger.load([
      { budgetKey: s.key, windowStart: NOON - 30 * SECOND, tokens: 0, usd: 0, calls: 4 },
      { budgetKey: s.key, windowStart: NOON - 90 * SECOND, tokens: 0, usd: 0, calls: 5 },
    ]);
    expect(ledger.remaining(s)).toEqual({ calls: 6 });
  });
});

describe('BudgetLedger reset', () => {
  it('zeroes spent and unsaved spend but keeps reservations in flight, which still settle', () => {
    const { ledger, admitted, spend } = setup();
    const s = spec({ limits: { tokens: 100 } });
    const held = admitted(s, { tokens: 40 });
    spend(s, { tokens: 50 });
    ledger.reset(s.key);
    expect(ledger.status(s)).toMatchObject({ spent: ZERO, reserved: one('tokens', 40) });
    expect(ledger.takePending()).toEqual([]);
    ledger.settle(held, one('tokens', 30));
    expect(ledger.status(s)).toMatchObject({ spent: one('tokens', 30), reserved: ZERO });
    expect(ledger.takePending()).toEqual([expect.objectContaining({ tokens: 30 })]);
  });

  it('drops loaded spend of a budget not used yet', () => {
    const { ledger } = setup();
    const s = spec();
    ledger.load([{ budgetKey: s.key, windowStart: DAY_START, tokens: 90, usd: 0, calls: 0 }]);
    ledger.reset(s.key);
    expect(ledger.remaining(s)).toEqual({ tokens: 100 });
  });

  it('re-arms soft thresholds', () => {
    const { ledger, alerts, spend } = setup();
    const s = spec({ softThresholds: [50] });
    spend(s, { tokens: 60 });
    ledger.reset(s.key);
    spend(s, { tokens: 60 });
    expect(alerts.map((a) => a.spent)).toEqual([60, 60]);
  });

  it('leaves other budgets alone', () => {
    const { ledger, spend } = setup();
    const a = spec();
    const b = spec({ key: 'owner:team|llm|day|calendar', scope: 'owner' });
    spend([a, b], { tokens: 20 });
    ledger.reset(a.key);
    expect(ledger.status(b).spent.tokens).toBe(20);
  });
});

describe('BudgetLedger usd rounding', () => {
  it('admits prices that add up to exactly the limit in floating point, and keeps the sum exact', () => {
    const { ledger, admitted } = setup();
    const s = spec({ limits: { usd: 0.3 } });
    expect(0.1 + 0.2).toBeGreaterThan(0.3);
    const a = admitted(s, { usd: 0.1 });
    const b = admitted(s, { usd: 0.2 });
    expect(ledger.status(s).reserved.usd).toBe(0.3);
    ledger.settle(a, one('usd', 0.1));
    ledger.settle(b, one('usd', 0.2));
    expect(ledger.status(s)).toMatchObject({ spent: one('usd', 0.3), reserved: ZERO });
    expect(ledger.remaining(s)).toEqual({ usd: 0 });
    expect(ledger.takePending()[0]?.usd).toBe(0.3);
    expect(ledger.check([s], one('usd', 0.000001))).toMatchObject({ dimension: 'usd' });
  });

  it('ten calls of a tenth of a dollar fill a one-dollar budget and no more', () => {
    const { ledger, spend } = setup();
    const s = spec({ limits: { usd: 1 } });
    for (let i = 0; i < 10; i++) spend(s, { usd: 0.1 });
    expect(ledger.status(s).spent.usd).toBe(1);
    expect(ledger.admit([s], one('usd', 0.1)).ok).toBe(false);
  });
});

describe('BudgetLedger status', () => {
  it('reports spend, reservations and the calendar window now', () => {
    const { ledger, admitted, spend } = setup();
    const s = spec({ limits: { tokens: 1000 } });
    spend(s, { tokens: 12, usd: 0.5, calls: 1 });
    admitted(s, { tokens: 30, calls: 1 });
    expect(ledger.status(s)).toEqual({
      spent: amount({ tokens: 12, usd: 0.5, calls: 1 }),
      reserved: amount({ tokens: 30, calls: 1 }),
      windowStart: DAY_START,
      windowEnd: NEXT_DAY,
    });
  });

  it('reports an unused budget as empty', () => {
    const { ledger } = setup();
    expect(ledger.status(spec())).toEqual({ spent: ZERO, reserved: ZERO, windowStart: DAY_START, windowEnd: NEXT_DAY });
  });
});

/**
 * The spend of every budget, in memory, with reservations. Admission checks every budget a
 * call is charged to against spent + reserved + the call's worst case and reserves it in the
 * same synchronous step, so concurrent requests can never overshoot a hard limit. Settling
 * moves a reservation to spent (the actual usage, which may be more) in the window the
 * reservation was made in. Spend reaches state.db by write-behind (`takePending`), never on
 * the request path.
 */
import { calendarWindow, rollingBucketMs, rollingBucketStart, rollingWindowMs, type WindowUnit } from './windows.js';

export interface Amount {
  tokens: number;
  usd: number;
  calls: number;
}

export type Dimension = keyof Amount;
export const DIMENSIONS: readonly Dimension[] = ['tokens', 'usd', 'calls'];

/** One budget as it applies to one request (from the catalog entry of the calling agent). */
export interface BudgetSpec {
  /** `agent:<id>|<channel>|<window>|<kind>` or `owner:<owner>|...`: where the spend is kept. */
  key: string;
  /** For messages: the budget's name, or `<window>-<channel>`. */
  name: string;
  scope: 'agent' | 'owner';
  window: WindowUnit;
  kind: 'calendar' | 'rolling';
  limits: Partial<Amount>;
  softThresholds: readonly number[];
  action: 'deny' | 'clamp';
}

export interface Refusal {
  spec: BudgetSpec;
  dimension: Dimension;
  limit: number;
  used: number;
  cost: number;
  /** When the window frees enough; undefined when the call alone is over the limit. */
  retryAfterMs: number | undefined;
}

export interface BudgetAlert {
  type: 'budget.threshold' | 'budget.overrun';
  key: string;
  name: string;
  dimension: Dimension;
  /** Percent of the limit crossed (threshold alerts). */
  threshold?: number;
  spent: number;
  limit: number;
  windowStart: number;
}

export interface SpendRow {
  budgetKey: string;
  windowStart: number;
  tokens: number;
  usd: number;
  calls: number;
}

/** One window (calendar) or sub-bucket (rolling) of one budget. */
interface Cell {
  readonly start: number;
  readonly spent: Amount;
  readonly reserved: Amount;
  /** Spend not yet written to state.db. */
  readonly pending: Amount;
  /** Calendar windows: thresholds already alerted in this window. */
  readonly fired: Set<string>;
}

interface BudgetState {
  readonly key: string;
  readonly unit: WindowUnit;
  readonly kind: 'calendar' | 'rolling';
  readonly cells: Map<number, Cell>;
  /** Rolling windows: thresholds alerted and not yet fallen below again. */
  readonly fired: Set<string>;
}

/** What admission took; settle it exactly once. */
export interface Held {
  readonly parts: ReadonlyArray<{ state: BudgetState; cell: Cell; amount: Amount; spec: BudgetSpec }>;
}

export interface LedgerOptions {
  timezone: string;
  /** Wall-clock ms (windows are calendar time). */
  now?: () => number;
  onAlert?: (alert: BudgetAlert) => void;
}

const zero = (): Amount => ({ tokens: 0, usd: 0, calls: 0 });
/** USD is kept to a billionth: float sums of prices must not drift past a limit by 1e-16. */
const roundUsd = (v: number) => Math.round(v * 1e9) / 1e9;

export class BudgetLedger {
  readonly #states = new Map<string, BudgetState>();
  /** Rows loaded from state.db for budgets no request has touched yet. */
  readonly #loaded = new Map<string, SpendRow[]>();
  readonly #tz: string;
  readonly #now: () => number;
  readonly #onAlert: (a: BudgetAlert) => void;

  constructor(opts: LedgerOptions) {
    this.#tz = opts.timezone;
    this.#now = opts.now ?? Date.now;
    this.#onAlert = opts.onAlert ?? (() => {});
  }

  /** Spend recorded before this process started. */
  load(rows: readonly SpendRow[]): void {
    for (const row of rows) {
      const state = this.#states.get(row.budgetKey);
      if (state) addTo(this.#cell(state, row.windowStart).spent, row);
      else {
        const list = this.#loaded.get(row.budgetKey) ?? [];
        list.push(row);
        this.#loaded.set(row.budgetKey, list);
      }
    }
  }

  /**
   * Admits a call costing `cost` against every spec, or refuses it without reserving
   * anything. Synchronous: nothing can run between the check and the reservation.
   */
  admit(specs: readonly BudgetSpec[], cost: Amount): { ok: true; held: Held } | { ok: false; refusal: Refusal } {
    const refusal = this.check(specs, cost);
    if (refusal) return { ok: false, refusal };
    const now = this.#now();
    const parts = specs.map((spec) => {
      const state = this.#state(spec);
      const cell = this.#currentCell(state, now);
      addTo(cell.reserved, cost);
      return { state, cell, amount: { ...cost }, spec };
    });
    return { ok: true, held: { parts } };
  }

  /** The first budget the call would break, or null. Reserves nothing. */
  check(specs: readonly BudgetSpec[], cost: Amount): Refusal | null {
    const now = this.#now();
    for (const spec of specs) {
      const state = this.#state(spec);
      const used = this.#used(state, now);
      for (const d of DIMENSIONS) {
        const limit = spec.limits[d];
        if (limit === undefined) continue;
        if (used[d] + cost[d] > limit + 1e-12) {
          return { spec, dimension: d, limit, used: used[d], cost: cost[d], retryAfterMs: this.#retryAfter(state, d, limit, cost[d], now) };
        }
      }
    }
    return null;
  }

  /** What is left of each limited dimension of a budget now (limit - spent - reserved, not below 0). */
  remaining(spec: BudgetSpec): Partial<Amount> {
    const used = this.#used(this.#state(spec), this.#now());
    const out: Partial<Amount> = {};
    for (const d of DIMENSIONS) {
      const limit = spec.limits[d];
      if (limit !== undefined) out[d] = Math.max(0, limit - used[d]);
    }
    return out;
  }

  /** Replaces each reservation with the actual usage, in the window it was made in. */
  settle(held: Held, actual: Amount): void {
    for (const { state, cell: reservedIn, amount, spec } of held.parts) {
      subtractFrom(reservedIn.reserved, amount);
      // Calendar: the window the reservation was made in. Rolling: now, so a call that ran
      // longer than the window still counts in it (its bucket may have left the window).
      const cell = state.kind === 'calendar' ? reservedIn : this.#currentCell(state, this.#now());
      addTo(cell.spent, actual);
      addTo(cell.pending, actual);
      // Judged in the window the spend lands in: a calendar cell is its whole window.
      const spentNow = state.kind === 'calendar' ? cell.spent : this.#spent(state);
      const usedNow = state.kind === 'calendar' ? sum(cell.spent, cell.reserved) : this.#used(state, this.#now());
      for (const d of DIMENSIONS) {
        const limit = spec.limits[d];
        if (limit !== undefined && actual[d] > amount[d] && usedNow[d] > limit) {
          this.#onAlert({ type: 'budget.overrun', key: spec.key, name: spec.name, dimension: d, spent: spentNow[d], limit, windowStart: cell.start });
        }
      }
      this.#thresholds(state, spec, cell, spentNow);
    }
  }

  /** Spend not yet persisted, taken out of the pending counters (give it back with `restorePending` if writing fails). */
  takePending(): SpendRow[] {
    const rows: SpendRow[] = [];
    for (const state of this.#states.values()) {
      for (const cell of state.cells.values()) {
        const p = cell.pending;
        if (p.tokens === 0 && p.usd === 0 && p.calls === 0) continue;
        rows.push({ budgetKey: state.key, windowStart: cell.start, tokens: p.tokens, usd: roundUsd(p.usd), calls: p.calls });
        p.tokens = 0;
        p.usd = 0;
        p.calls = 0;
      }
    }
    return rows;
  }

  restorePending(rows: readonly SpendRow[]): void {
    for (const row of rows) {
      const state = this.#states.get(row.budgetKey);
      if (state) addTo(this.#cell(state, row.windowStart).pending, row);
    }
  }

  /** Forgets a budget's spend (warden budgets reset); reservations in flight still settle. */
  reset(key: string): void {
    this.#loaded.delete(key);
    const state = this.#states.get(key);
    if (!state) return;
    for (const cell of state.cells.values()) {
      Object.assign(cell.spent, zero());
      Object.assign(cell.pending, zero());
      cell.fired.clear();
    }
    state.fired.clear();
  }

  /** Spend, reservations and the window of one budget now. */
  status(spec: BudgetSpec): { spent: Amount; reserved: Amount; windowStart: number; windowEnd: number | null } {
    const state = this.#state(spec);
    const now = this.#now();
    const { spent, reserved } = this.#sums(state, now);
    if (state.kind === 'calendar') {
      const w = calendarWindow(now, state.unit, this.#tz);
      return { spent, reserved, windowStart: w.start, windowEnd: w.end };
    }
    return { spent, reserved, windowStart: now - rollingWindowMs(state.unit), windowEnd: null };
  }

  #state(spec: BudgetSpec): BudgetState {
    let state = this.#states.get(spec.key);
    if (!state) {
      state = { key: spec.key, unit: spec.window, kind: spec.kind, cells: new Map(), fired: new Set() };
      this.#states.set(spec.key, state);
      for (const row of this.#loaded.get(spec.key) ?? []) addTo(this.#cell(state, row.windowStart).spent, row);
      this.#loaded.delete(spec.key);
    }
    return state;
  }

  #cell(state: BudgetState, start: number): Cell {
    let cell = state.cells.get(start);
    if (!cell) {
      cell = { start, spent: zero(), reserved: zero(), pending: zero(), fired: new Set() };
      state.cells.set(start, cell);
    }
    return cell;
  }

  #currentCell(state: BudgetState, now: number): Cell {
    const start = state.kind === 'calendar' ? calendarWindow(now, state.unit, this.#tz).start : rollingBucketStart(now, state.unit);
    return this.#cell(state, start);
  }

  /** The cells that count now; cells no longer counted and holding nothing in flight or unsaved are dropped. */
  #live(state: BudgetState, now: number): Cell[] {
    const from = state.kind === 'calendar' ? calendarWindow(now, state.unit, this.#tz).start : now - rollingWindowMs(state.unit) + 1;
    const out: Cell[] = [];
    for (const [start, cell] of state.cells) {
      // A rolling bucket counts while any part of it is inside the window (counting a little long, never short).
      const counts = state.kind === 'calendar' ? start === from : start + rollingBucketMs(state.unit) > from;
      if (counts) out.push(cell);
      else if (isZero(cell.reserved) && isZero(cell.pending)) state.cells.delete(start);
    }
    return out;
  }

  #sums(state: BudgetState, now: number): { spent: Amount; reserved: Amount } {
    const spent = zero();
    const reserved = zero();
    const live = this.#live(state, now);
    for (const c of live) addTo(spent, c.spent);
    // Calendar: a reservation belongs to the window it was made in. Rolling: it counts until it
    // settles, however long ago its bucket left the window.
    for (const c of state.kind === 'calendar' ? live : state.cells.values()) addTo(reserved, c.reserved);
    return { spent, reserved };
  }

  #used(state: BudgetState, now: number): Amount {
    const { spent, reserved } = this.#sums(state, now);
    addTo(spent, reserved);
    return spent;
  }

  #spent(state: BudgetState): Amount {
    return this.#sums(state, this.#now()).spent;
  }

  /** Milliseconds until `cost` fits again; undefined when it never can. */
  #retryAfter(state: BudgetState, d: Dimension, limit: number, cost: number, now: number): number | undefined {
    if (cost > limit) return undefined;
    if (state.kind === 'calendar') return calendarWindow(now, state.unit, this.#tz).end - now;
    // Rolling: the oldest buckets leave the window first.
    const cells = this.#live(state, now).sort((a, b) => a.start - b.start);
    let used = 0;
    for (const c of cells) used += c.spent[d] + c.reserved[d];
    for (const c of cells) {
      used -= c.spent[d] + c.reserved[d];
      if (used + cost <= limit) return Math.max(1, c.start + rollingBucketMs(state.unit) + rollingWindowMs(state.unit) - now);
    }
    return rollingWindowMs(state.unit);
  }

  #thresholds(state: BudgetState, spec: BudgetSpec, cell: Cell, spent: Amount): void {
    if (spec.softThresholds.length === 0) return;
    const fired = state.kind === 'calendar' ? cell.fired : state.fired;
    const windowStart = state.kind === 'calendar' ? cell.start : this.#now() - rollingWindowMs(state.unit);
    for (const d of DIMENSIONS) {
      const limit = spec.limits[d];
      if (limit === undefined) continue;
      const pct = (spent[d] / limit) * 100;
      for (const t of spec.softThresholds) {
        const id = `${d}:${t}`;
        if (pct >= t && !fired.has(id)) {
          fired.add(id);
          this.#onAlert({ type: 'budget.threshold', key: spec.key, name: spec.name, dimension: d, threshold: t, spent: spent[d], limit, windowStart });
        } else if (pct < t && state.kind === 'rolling') fired.delete(id);
      }
    }
  }
}

function addTo(into: Amount, a: Amount): void {
  into.tokens += a.tokens;
  into.usd = roundUsd(into.usd + a.usd);
  into.calls += a.calls;
}

function subtractFrom(into: Amount, a: Amount): void {
  into.tokens -= a.tokens;
  into.usd = roundUsd(into.usd - a.usd);
  into.calls -= a.calls;
}

function sum(a: Amount, b: Amount): Amount {
  const out = { ...a };
  addTo(out, b);
  return out;
}

function isZero(a: Amount): boolean {
  return a.tokens === 0 && a.usd === 0 && a.calls === 0;
}

/**
 * The budget ledger in the running gateway: spend loaded from state.db at start, written back
 * by a timer (and at shutdown) so no request waits for the disk, resets made by the CLI
 * applied as soon as they commit, and alerts turned into audit records, log lines and
 * webhook posts.
 */
import type { Logger } from 'pino';
import type { AuditEventInput } from '../audit/record.js';
import { globMatcher } from '../catalog/index.js';
import type { GovernanceConfig } from '../config/governance-schema.js';
import { isBusy } from '../state/busy-retry.js';
import type { StateStore } from '../state/state-store.js';
import { BudgetLedger, type BudgetAlert } from './ledger.js';

/** The longest window (a month, or 30 rolling days) plus a day: older spend never counts again. */
const LOAD_SPAN_MS = 32 * 86_400_000;

export interface AlertSink {
  send(event: { type: string; time: string; agentId: string | null; [k: string]: unknown }): void;
}

export interface BudgetServiceOptions {
  state: StateStore;
  config: GovernanceConfig;
  log: Logger;
  /** Writes a system audit record (never throws). */
  system: (action: string, fields: Partial<AuditEventInput>) => void;
  webhook?: AlertSink;
  now?: () => number;
}

export class BudgetService {
  readonly ledger: BudgetLedger;
  readonly #o: BudgetServiceOptions;
  readonly #toolCosts: Array<{ match: (name: string) => boolean; cost: { usd: number; tokens: number } }>;
  #lastResetId = 0;
  #timer: NodeJS.Timeout | undefined;

  constructor(opts: BudgetServiceOptions) {
    this.#o = opts;
    this.ledger = new BudgetLedger({ timezone: opts.config.timezone, now: opts.now ?? Date.now, onAlert: (a) => this.#alert(a) });
    this.#toolCosts = Object.entries(opts.config.toolCosts).map(([glob, cost]) => ({ match: globMatcher([glob]), cost }));
  }

  /** Loads recorded spend and starts the write-behind timer. */
  start(): void {
    const now = (this.#o.now ?? Date.now)();
    this.ledger.load(this.#o.state.listBudgetSpend(now - LOAD_SPAN_MS));
    const resets = this.#o.state.listBudgetResets(0);
    this.#lastResetId = resets.at(-1)?.id ?? 0;
    this.#timer = setInterval(() => this.flush(), this.#o.config.flushIntervalMs);
    this.#timer.unref();
  }

  /** Cost of one call of `tool`: the first matching toolCosts entry, else nothing but the call. */
  toolCost(tool: string): { usd: number; tokens: number } {
    for (const e of this.#toolCosts) if (e.match(tool)) return e.cost;
    return { usd: 0, tokens: 0 };
  }

  /** Applies budget resets another process (the CLI) committed; false when they could not be read. Called when state.db changes. */
  applyResets(): boolean {
    let rows;
    try {
      rows = this.#o.state.listBudgetResets(this.#lastResetId);
    } catch (err) {
      if (!isBusy(err)) this.#o.log.warn({ err }, 'could not read budget resets');
      return false;
    }
    for (const r of rows) {
      this.ledger.reset(r.budgetKey);
      this.#lastResetId = r.id;
    }
    return true;
  }

  /** Resets budgets now (admin API): in memory at once, in state.db for restarts and other readers. */
  reset(keys: readonly string[], by: string): void {
    this.flush();
    const at = (this.#o.now ?? Date.now)();
    this.#o.state.resetBudgets(keys, at, by);
    for (const k of keys) this.ledger.reset(k);
    this.#lastResetId = this.#o.state.listBudgetResets(this.#lastResetId).at(-1)?.id ?? this.#lastResetId;
  }

  /** Writes spend not yet saved; on failure (a lock held by the CLI) keeps it for the next try. */
  flush(force = false): void {
    // A reset the CLI committed since the last refresh must clear the pending spend first,
    // or that spend would be written back after the reset deleted it.
    // Unread resets: wait for the next flush, except at shutdown (losing spend is worse than
    // writing back some that a reset racing the shutdown meant to forget).
    if (!this.applyResets() && !force) return;
    const rows = this.ledger.takePending();
    if (rows.length === 0) return;
    try {
      this.#o.state.addBudgetSpend(rows);
    } catch (err) {
      this.ledger.restorePending(rows);
      if (!isBusy(err)) this.#o.log.error({ err }, 'could not save budget spend; retrying');
    }
  }

  close(): void {
    clearInterval(this.#timer);
    this.flush(true);
  }

  #alert(a: BudgetAlert): void {
    const agentId = a.key.startsWith('agent:') ? a.key.slice(6, a.key.indexOf('|')) : null;
    const details = { ...a, windowStart: new Date(a.windowStart).toISOString() };
    // `key` is a redacted log field (credentials travel under that name): the budget key goes as budgetKey.
    const { key: budgetKey, ...rest } = details;
    this.#o.log.warn({ ...rest, budgetKey }, a.type === 'budget.overrun' ? 'budget overrun: usage above the reservation' : 'budget threshold crossed');
    this.#o.system(a.type, {
      agentId,
      target: a.key,
      reason:
        a.type === 'budget.threshold'
          ? `${a.name}: ${a.threshold}% of the ${a.dimension} limit reached`
          : `${a.name}: ${a.dimension} spend above the limit after usage above the reservation`,
      details,
    });
    this.#o.webhook?.send({ ...details, time: new Date().toISOString(), agentId });
  }
}

import type { Logger } from 'pino';
import type { Catalog } from '../catalog/index.js';
import type { KeyRegistry } from '../keys/key-registry.js';
import type { LoopGuard } from '../loops/loop-guard.js';
import { isBusy } from './busy-retry.js';
import { createStateRefresher } from './state-refresher.js';
import type { StateStore } from './state-store.js';
import { effectiveStatus, type SuspensionIndex } from './suspension-index.js';

export interface StateSyncDeps {
  state: StateStore;
  keys: KeyRegistry;
  suspensions: SuspensionIndex;
  loopGuard: LoopGuard;
  catalog: () => Catalog;
  /** The views built after this one (null until they exist): MCP approvals and open sessions, budget resets. */
  mcp: () => {
    refreshApprovals(): void;
    revalidate(stale: (agentId: string, keyId: string) => boolean): void;
  } | null;
  budgets: () => { applyResets(): void } | null;
  log: Logger;
  now: () => number;
}

/**
 * Keeps the gateway's in-memory views in step with state.db. CLI decisions (a revoked key, a
 * suspension, a tool approval, a budget reset) are committed there by another process; the
 * CLI then asks for apply() through POST /admin/state/reload and waits, and a one-second timer
 * catches commits nobody announced. Requests never read state.db themselves. Also probes
 * that state.db stays writable, for readiness.
 */
export class StateSync {
  readonly #d: StateSyncDeps;
  readonly #refresh: () => boolean;
  // Agents the loop guard suspended: once an admin resumes one, its history starts afresh.
  readonly #loopSuspended = new Set<string>();
  #writable = true;
  #busyProbes = 0;
  #timers: NodeJS.Timeout[] = [];

  constructor(deps: StateSyncDeps) {
    this.#d = deps;
    this.#refresh = createStateRefresher(deps.state, () => {
      deps.keys.reload();
      deps.suspensions.reload();
      deps.mcp()?.refreshApprovals();
      deps.budgets()?.applyResets();
      this.forgetResumed();
    });
  }

  /** The loop guard suspended this agent: its history is cleared once it is resumed. */
  suspendedForLooping(agentId: string): void {
    this.#loopSuspended.add(agentId);
  }

  /** Clears the loop history of every loop-suspended agent no longer suspended. */
  forgetResumed(): void {
    for (const id of this.#loopSuspended) {
      if (this.#d.suspensions.get(id)) continue;
      this.#loopSuspended.delete(id);
      this.#d.loopGuard.clear(id);
    }
  }

  /** Re-reads state.db if another connection committed; returns whether it did. */
  apply(): boolean {
    const changed = this.#refresh();
    // Open MCP sessions and streams end once their key or agent may no longer be used.
    const { keys, suspensions, catalog } = this.#d;
    const t = this.#d.now();
    this.#d.mcp()?.revalidate((agentId, keyId) => {
      const agent = catalog().agents.get(agentId);
      return !keys.isActive(keyId, t) || !agent || effectiveStatus(agent.status, suspensions.get(agentId)) !== 'active';
    });
    return changed;
  }

  /** Whether state.db took the last write probe (locked briefly by another writer counts as yes). */
  get writable(): boolean {
    return this.#writable;
  }

  /** Tries a write; what `writable` says follows from it. */
  probe(): void {
    try {
      this.#d.state.probeWritable();
      this.#writable = true;
      this.#busyProbes = 0;
    } catch (err) {
      // Locked by another writer is normal for a moment; locked for three probes in a row is not.
      this.#writable = isBusy(err) && ++this.#busyProbes < 3;
    }
  }

  /** Re-reads every second and probes every two. */
  start(): void {
    this.close();
    const refresh = setInterval(() => {
      try {
        this.apply();
      } catch (err) {
        this.#d.log.warn({ err }, 'could not re-read state.db; retrying in a second');
      }
    }, 1000);
    const probe = setInterval(() => this.probe(), 2000);
    refresh.unref();
    probe.unref();
    this.#timers = [refresh, probe];
  }

  close(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }
}

import type { StateStore, SuspensionRow } from './state-store.js';

/**
 * Runtime suspensions, in memory for the request path. A runtime suspension overrides the
 * catalog file's `status: active` until resumed; a file's `status: suspended` cannot be
 * lifted at runtime (edit the file).
 */
export class SuspensionIndex {
  readonly #store: StateStore;
  #rows = new Map<string, SuspensionRow>();

  constructor(store: StateStore) {
    this.#store = store;
    this.reload();
  }

  reload(): void {
    this.#rows = new Map(this.#store.listSuspensions().map((r) => [r.agentId, r]));
  }

  get(agentId: string): SuspensionRow | undefined {
    return this.#rows.get(agentId);
  }

  suspend(agentId: string, reason: string | null, by: string, now: number): boolean {
    const changed = this.#store.suspend(agentId, reason, by, now);
    this.reload();
    return changed;
  }

  resume(agentId: string): boolean {
    const changed = this.#store.resume(agentId);
    this.reload();
    return changed;
  }
}

/** The status that governs an agent right now: the file's, unless suspended at runtime. */
export function effectiveStatus(fileStatus: 'active' | 'suspended', runtime: SuspensionRow | undefined): 'active' | 'suspended' {
  return fileStatus === 'suspended' || runtime !== undefined ? 'suspended' : 'active';
}

/**
 * A key belongs to the agent it was issued for. An agent that leaves the catalog and stays
 * gone for the grace period has its keys revoked, so a later agent reusing the id does not
 * inherit them; one that comes back in time (an editor's save, a redeploy) keeps them.
 *
 * The moment an agent left is stored (state.db), so a restart inside the grace period
 * neither lets it keep its keys nor restarts its clock. Only a removal the gateway saw counts:
 * an agent with keys that is simply absent at start-up (a gateway pointed at the wrong
 * catalog folder) is left alone, and its keys simply cannot authenticate.
 */
import type { Logger } from 'pino';
import type { StateStore } from '../state/state-store.js';

export interface RemovedAgentKeysDeps {
  state: StateStore;
  graceMs: number;
  inCatalog: (agentId: string) => boolean;
  /** Revokes every key of the agent (and audits it); false if that failed (the removal stays stored for the next start). */
  revoke: (agentId: string) => Promise<boolean>;
  now: () => number;
  log: Logger;
}

export class RemovedAgentKeys {
  readonly #deps: RemovedAgentKeysDeps;
  readonly #timers = new Map<string, NodeJS.Timeout>();

  constructor(deps: RemovedAgentKeysDeps) {
    this.#deps = deps;
  }

  /** Re-arms the removals a previous run saw; those that came back meanwhile are forgotten. */
  resume(): void {
    const { graceMs, now, log } = this.#deps;
    for (const { agentId, removedAt } of this.#stored()) {
      if (this.#deps.inCatalog(agentId)) this.#forget(agentId);
      else this.#arm(agentId, Math.max(0, removedAt + graceMs - now()));
    }
    if (this.#timers.size > 0) log.info({ agents: [...this.#timers.keys()], graceMs }, 'agents removed from the catalog before this start: their keys are revoked unless they come back');
  }

  removed(agentId: string): void {
    try {
      this.#deps.state.noteRemoval(agentId, this.#deps.now());
    } catch (err) {
      this.#deps.log.warn({ err, agentId }, 'could not store the removal of an agent; a restart inside the grace period would forget it');
    }
    if (!this.#timers.has(agentId)) this.#arm(agentId, this.#deps.graceMs);
  }

  returned(agentId: string): void {
    clearTimeout(this.#timers.get(agentId));
    this.#timers.delete(agentId);
    this.#forget(agentId);
  }

  close(): void {
    for (const t of this.#timers.values()) clearTimeout(t);
    this.#timers.clear();
  }

  #arm(agentId: string, delayMs: number): void {
    const timer = setTimeout(() => {
      this.#timers.delete(agentId);
      if (this.#deps.inCatalog(agentId)) return this.#forget(agentId);
      void this.#deps.revoke(agentId).then((done) => done && this.#forget(agentId));
    }, delayMs);
    timer.unref();
    this.#timers.set(agentId, timer);
  }

  #stored(): Array<{ agentId: string; removedAt: number }> {
    try {
      return this.#deps.state.listRemovals();
    } catch (err) {
      this.#deps.log.warn({ err }, 'could not read the stored agent removals');
      return [];
    }
  }

  #forget(agentId: string): void {
    try {
      this.#deps.state.clearRemoval(agentId);
    } catch (err) {
      this.#deps.log.warn({ err, agentId }, 'could not clear a stored agent removal');
    }
  }
}

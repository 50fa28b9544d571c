import type { StateStore } from './state-store.js';

/**
 * Keeps in-memory views (keys, suspensions, approvals, budget resets) in step with the state
 * database, which the CLI may commit to while the gateway runs. Not called per request (that
 * would be a synchronous SQLite read on the hot path): the CLI asks the running gateway to
 * refresh once it has committed (POST /admin/state/reload) and waits for the answer, and a
 * one-second timer catches commits nobody announced. Each call costs one PRAGMA
 * data_version read; the views reload only when another connection committed.
 * Returns whether they reloaded.
 */
export function createStateRefresher(store: StateStore, reload: () => void): () => boolean {
  let seen = store.changeCounter();
  return function refreshState(): boolean {
    const now = store.changeCounter();
    if (now === seen) return false;
    // Marked seen only once reloaded: a reload that throws (state.db busy) is retried next time.
    reload();
    seen = now;
    return true;
  };
}

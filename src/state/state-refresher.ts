import type { StateStore } from './state-store.js';

/**
 * Keeps in-memory views (keys, suspensions) in step with the state database. The CLI may
 * commit while the gateway runs; calling the returned function before reading the views
 * (authenticate does, on every request) makes those commits apply to the very next
 * request. It costs one PRAGMA data_version read; the views reload only when it changed.
 */
export function createStateRefresher(store: StateStore, reload: () => void): () => void {
  let seen = store.changeCounter();
  return function refreshState(): void {
    const now = store.changeCounter();
    if (now === seen) return;
    seen = now;
    reload();
  };
}

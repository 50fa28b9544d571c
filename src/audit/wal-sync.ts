/**
 * Background syncs of the audit database's WAL at `durability: normal`.
 *
 * At `normal` no commit syncs the WAL, so it collects every frame written since the last
 * checkpoint as dirty pages. SQLite's own checkpoint, run inside the commit that passes
 * WAL_AUTOCHECKPOINT_PAGES (db.ts), must sync them all first: 45 to 57 ms of a 60 to 95 ms
 * stall measured here (docs/benchmarks.md), waited for by every request whose record is in
 * that commit or queued behind it. Syncing the WAL every `everyMs` while records are being
 * committed keeps little for that checkpoint to flush. The sync runs on libuv's thread pool
 * (fs.fdatasync with a callback), never inside a commit, one at a time.
 *
 * It adds no guarantee SQLite does not give and takes none away: an extra sync only makes
 * frames durable sooner.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

export interface WalSync {
  /** Records were committed: the next tick syncs. */
  noteCommit(): void;
  /** Stops the timer; the descriptor is closed once no sync is using it. */
  stop(): void;
}

export interface WalSyncDeps {
  /** fs.fdatasync, replaceable in tests. */
  sync?: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;
  /** Called once per failed sync; the descriptor is reopened at the next tick. */
  onError?: (err: NodeJS.ErrnoException) => void;
}

export function startWalSync(walPath: string, everyMs: number, deps: WalSyncDeps = {}): WalSync {
  const sync = deps.sync ?? fdatasync;
  let fd: number | null = null;
  let dirty = false;
  let syncing = false;
  let stopped = false;

  const closeFd = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd); // no I/O for a file just synced (or that failed to)
    } catch {
      // already unusable: nothing to release
    }
    fd = null;
  };

  const tick = (): void => {
    if (!dirty || syncing) return;
    if (fd === null) {
      try {
        // Read-only is enough for fdatasync on Linux; SQLite creates the WAL with the database.
        fd = openSync(walPath, 'r');
      } catch {
        return; // not there yet (no commit made it): tried at the next tick
      }
    }
    dirty = false;
    syncing = true;
    sync(fd, (err) => {
      syncing = false;
      if (err) {
        dirty = true;
        closeFd();
        deps.onError?.(err);
      }
      if (stopped) closeFd();
    });
  };

  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    noteCommit(): void {
      dirty = true;
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (!syncing) closeFd();
    },
  };
}

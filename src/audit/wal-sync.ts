/**
 * Background syncs of the audit database's WAL at `durability: normal`.
 *
 * At `normal` no commit syncs the WAL, so it collects every frame written since the last
 * checkpoint as dirty pages. SQLite's own checkpoint, run inside the commit that passes
 * WAL_AUTOCHECKPOINT_PAGES (db.ts), must sync them all first: 45 to 57 ms of a 60 to 95 ms
 * stall measured here (docs/benchmarks.md), waited for by every request whose record is in
 * that commit or queued behind it. Syncing the WAL every `everyMs` while records are being
 * committed leaves little for that checkpoint to flush. Each sync is started outside any
 * commit and runs beside them on libuv's thread pool (fs.fdatasync with a callback), one at a
 * time.
 *
 * An extra sync never weakens what SQLite guarantees: it only makes frames durable sooner.
 */
import { closeSync, fdatasync, openSync } from 'node:fs';

export interface WalSync {
  /** Records were committed: the next tick syncs. */
  noteCommit(): void;
  /** Stops syncing; resolves once the descriptor is closed (after a sync in flight, if any). */
  stop(): Promise<void>;
}

export interface WalSyncDeps {
  /** fs.fdatasync, replaceable in tests. */
  sync?: (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;
  /** The first failure (to open or to sync the WAL) after a success, or ever; tried again at each tick. */
  onError?: (err: NodeJS.ErrnoException) => void;
  /** A sync succeeded after onError. */
  onRecovered?: () => void;
}

/** `walPath` must be the WAL SQLite uses: next to the database's real path (symlinks resolved). */
export function startWalSync(walPath: string, everyMs: number, deps: WalSyncDeps = {}): WalSync {
  const sync = deps.sync ?? fdatasync;
  let fd: number | null = null;
  let dirty = false;
  let syncing = false;
  let failing = false;
  let stopped = false;
  let onIdle: (() => void) | null = null;

  const closeFd = (): void => {
    if (fd === null) return;
    try {
      closeSync(fd); // no I/O for a file just synced (or that failed to)
    } catch {
      // already unusable: nothing to release
    }
    fd = null;
  };
  const failed = (err: NodeJS.ErrnoException): void => {
    if (!failing) deps.onError?.(err);
    failing = true;
  };

  const tick = (): void => {
    if (!dirty || syncing || stopped) return;
    if (fd === null) {
      try {
        // Read-only is enough for fdatasync on Linux. A commit made the WAL, so it is there.
        fd = openSync(walPath, 'r');
      } catch (err) {
        failed(err as NodeJS.ErrnoException);
        return;
      }
    }
    dirty = false;
    syncing = true;
    sync(fd, (err) => {
      syncing = false;
      if (err) {
        dirty = true;
        closeFd(); // a fresh descriptor at the next tick
        failed(err);
      } else if (failing) {
        failing = false;
        deps.onRecovered?.();
      }
      if (stopped) {
        closeFd();
        onIdle?.();
      }
    });
  };

  const timer = setInterval(tick, everyMs);
  timer.unref();
  return {
    noteCommit(): void {
      dirty = true;
    },
    stop(): Promise<void> {
      stopped = true;
      clearInterval(timer);
      if (!syncing) {
        closeFd();
        return Promise.resolve();
      }
      return new Promise((resolve) => {
        const prev = onIdle;
        onIdle = () => {
          prev?.();
          resolve();
        };
      });
    },
  };
}

/** Why the store cannot commit, in words safe for logs and /readyz (no paths, no data). */
export interface StorageFault {
  kind: 'locked' | 'full' | 'unwritable' | 'deleted' | 'error';
  problem: string;
  /** Permanent faults never clear without a restart; transient ones are retried. */
  permanent: boolean;
}

/** Thrown by the identity check when the DB path no longer names the file we have open. */
export class DatabaseReplacedError extends Error {
  constructor(readonly missing: boolean) {
    super(missing ? 'audit database file was deleted' : 'audit database file was replaced');
    this.name = 'DatabaseReplacedError';
  }
}

/** Maps better-sqlite3 / fs errors to a fault. */
export function classifyStorageError(err: unknown): StorageFault {
  if (err instanceof DatabaseReplacedError) {
    return { kind: 'deleted', permanent: true, problem: `${err.message} while running; no further writes (restart required)` };
  }
  const code = String((err as { code?: unknown } | null)?.code ?? '');
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return { kind: 'locked', permanent: false, problem: `audit database is locked by another connection (${code})` };
  }
  if (code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT') {
    return { kind: 'full', permanent: false, problem: `audit database disk is full (${code})` };
  }
  if (code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_IOERR') || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_PERM' || code === 'EACCES' || code === 'EROFS' || code === 'EIO') {
    return { kind: 'unwritable', permanent: false, problem: `audit database cannot be written (${code})` };
  }
  return { kind: 'error', permanent: false, problem: `audit database write failed (${code || (err instanceof Error ? err.name : 'unknown error')})` };
}

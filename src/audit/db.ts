import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { migrate } from './migrations.js';

/** A better-sqlite3 connection to an audit database. */
export type AuditDb = Database.Database;

/** normal: synchronous=NORMAL (WAL survives process crashes); full: synchronous=FULL (also power loss). */
export type Durability = 'normal' | 'full';

export interface OpenAuditDbOptions {
  /** Open without writing anything (no migrations, no pragmas that write). */
  readonly?: boolean;
  durability?: Durability;
  busyTimeoutMs?: number;
  /** Bytes the WAL file is truncated to after a checkpoint (default 64 MiB). */
  journalSizeLimit?: number;
  /** WAL pages after which a commit checkpoints (default WAL_AUTOCHECKPOINT_PAGES). */
  walAutocheckpointPages?: number;
}

/**
 * SQLite checkpoints inside the commit that passes this many WAL pages: it copies the WAL back
 * into the database file and fsyncs both, and the request waiting for that commit waits too.
 * A lone audit record wrote about seven pages while audit_events had four indexes (the row and
 * four index leaves), so SQLite's default of 1,000 pages put a checkpoint into about one commit
 * in 150 at one request at a time: most of the audit hop's p99 (bench/mcp-call.mjs,
 * bench/llm-call.mjs). At 10,000 pages (about 40 MiB of WAL) it was one commit in 1,500; with
 * the indexes moved to the lookup filled in batches (lookup.ts), a lone record writes one or two
 * pages, and each checkpoint costs little more, since the pages it copies are mostly the same
 * hot pages rewritten again and again. At durability normal most of such a checkpoint's time was
 * the sync of the WAL, which the writer now does in the background (wal-sync.ts).
 */
export const WAL_AUTOCHECKPOINT_PAGES = 10_000;

/**
 * Opens (creating if needed) an audit database, applies the pragmas and, when writable,
 * runs pending migrations. Readonly opens require the file to exist and be migrated.
 * A new database file is created with mode 0600 before SQLite opens it: SQLite gives the
 * -wal and -shm files the database file's permissions, so the whole trail stays private.
 * The directory is not created here (the gateway creates its dataDir with mode 0700).
 */
export function openAuditDb(path: string, opts: OpenAuditDbOptions = {}): AuditDb {
  const readonly = opts.readonly === true;
  if (!readonly) createPrivateFile(path);
  const db = new Database(path, { readonly, fileMustExist: readonly });
  try {
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(opts.busyTimeoutMs ?? 1000))}`);
    if (!readonly) {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (String(mode).toLowerCase() !== 'wal') throw new Error(`cannot switch audit database to WAL (got ${String(mode)})`);
      db.pragma(`journal_size_limit = ${Math.trunc(opts.journalSizeLimit ?? 64 * 1024 * 1024)}`);
      db.pragma(`wal_autocheckpoint = ${Math.trunc(opts.walAutocheckpointPages ?? WAL_AUTOCHECKPOINT_PAGES)}`);
      migrate(db);
    }
    // Per connection: NORMAL in WAL survives process crashes; FULL also fsyncs every commit.
    db.pragma(`synchronous = ${opts.durability === 'full' ? 'FULL' : 'NORMAL'}`);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

/** Creates `path` empty with mode 0600 unless it exists (an empty file is a valid new SQLite database). */
export function createPrivateFile(path: string): void {
  if (path === ':memory:' || path === '') return;
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw err;
  }
  closeSync(fd);
}

/**
 * Runs `fn` with the append-only triggers of audit_events and audit_lookup letting deletes
 * through (a prune, a lookup rebuild). Call it inside the write transaction that makes them:
 * the flag is set and cleared there, so other connections never see it set.
 */
export function withDeletesAllowed<T>(db: AuditDb, fn: () => T): T {
  if (!db.inTransaction) throw new Error('withDeletesAllowed must run inside a write transaction');
  db.prepare('UPDATE audit_maintenance SET pruning = 1 WHERE id = 1').run();
  const r = fn();
  db.prepare('UPDATE audit_maintenance SET pruning = 0 WHERE id = 1').run();
  return r;
}

/**
 * Runs `fn` inside one read transaction (BEGIN DEFERRED … COMMIT), so every statement it runs
 * sees one snapshot: a prune or append committed by another connection meanwhile cannot make
 * the reads disagree (a false gap, say). Inside an open transaction it just runs `fn`.
 */
export function inReadTransaction<T>(db: AuditDb, fn: () => T): T {
  return db.inTransaction ? fn() : db.transaction(fn).deferred();
}

/**
 * One schema-migration runner for every SQLite database Warden owns (audit.db, state.db).
 *
 *   import { migrate, type SqliteMigration } from '../util/sqlite-migrate.js';
 *   const MIGRATIONS: readonly SqliteMigration[] = [
 *     { version: 1, name: 'initial schema', up: (db) => db.exec('CREATE TABLE ...') },
 *     sqlMigration(2, 'add index', 'CREATE INDEX ...'),
 *   ];
 *   migrate(db, MIGRATIONS); // → versions applied by this call
 *
 * Guarantees:
 * - each step runs in its own BEGIN IMMEDIATE transaction, together with the row that
 *   records it in `schema_migrations`: a failing step leaves nothing behind;
 * - the applied set is re-read inside that transaction, so two processes opening the same
 *   file at once never apply a step twice (the second one waits on the write lock, then
 *   sees the step as applied);
 * - steps run in ascending version order, whatever order the array is in.
 */
import type Database from 'better-sqlite3';

/** A better-sqlite3 connection. */
export type SqliteDb = Database.Database;

/** One schema step. Append new steps; never edit or renumber a shipped one. */
export interface SqliteMigration<Db extends SqliteDb = SqliteDb> {
  /** Positive integer, unique within the list. */
  readonly version: number;
  /** Short description, stored in schema_migrations.name. */
  readonly name: string;
  /** Runs inside the step's transaction; throw to abort the step. */
  up(db: Db): void;
}

/** A migration whose step is one SQL script. */
export function sqlMigration(version: number, name: string, sql: string): SqliteMigration {
  return { version, name, up: (db) => db.exec(sql) };
}

const TABLE = 'schema_migrations';

/**
 * Applies the pending migrations (see the module comment for the guarantees) and returns
 * the versions applied by this call, ascending. Creates `schema_migrations(version, name,
 * applied_at)` when missing.
 * Throws before applying anything when two migrations share a version or a version is not
 * a positive integer.
 */
export function migrate<Db extends SqliteDb>(db: Db, migrations: ReadonlyArray<SqliteMigration<Db>>): number[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 0; i < sorted.length; i++) {
    const v = (sorted[i] as SqliteMigration<Db>).version;
    if (!Number.isSafeInteger(v) || v <= 0) throw new Error(`migration version must be a positive integer (got ${v})`);
    if (i > 0 && (sorted[i - 1] as SqliteMigration<Db>).version === v) throw new Error(`two migrations share version ${v}`);
  }
  db.exec(`CREATE TABLE IF NOT EXISTS ${TABLE} (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`);
  const isApplied = db.prepare(`SELECT 1 FROM ${TABLE} WHERE version = ?`).pluck();
  const record = db.prepare(`INSERT INTO ${TABLE} (version, name, applied_at) VALUES (@version, @name, @at)`);
  const applied: number[] = [];
  for (const m of sorted) {
    // Cheap check first: an applied step needs no write lock (so opening never waits on one).
    if (isApplied.get(m.version) !== undefined) continue;
    const step = db.transaction((): boolean => {
      if (isApplied.get(m.version) !== undefined) return false;
      m.up(db);
      record.run({ version: m.version, name: m.name, at: Date.now() });
      return true;
    });
    if (step.immediate()) applied.push(m.version);
  }
  return applied;
}

/** Highest applied version (0 for a database that was never migrated). Never writes. */
export function schemaVersion(db: SqliteDb): number {
  const hasTable = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(TABLE);
  if (hasTable === undefined) return 0;
  return (db.prepare(`SELECT COALESCE(MAX(version), 0) FROM ${TABLE}`).pluck().get() as number | null) ?? 0;
}

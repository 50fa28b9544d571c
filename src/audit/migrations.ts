import { migrate as runMigrations, schemaVersion as appliedVersion, type SqliteMigration } from '../util/sqlite-migrate.js';
import type { AuditDb } from './db.js';

/** One schema step of the audit database. `up` runs inside the migration's transaction. */
export type Migration = SqliteMigration<AuditDb>;

const CONTENT_COLUMNS = `
  time INTEGER NOT NULL,
  request_id TEXT NOT NULL,
  trace_id TEXT,
  parent_id TEXT,
  agent_id TEXT,
  key_id TEXT,
  channel TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  decision TEXT NOT NULL,
  policy TEXT,
  code TEXT,
  reason TEXT,
  status INTEGER,
  latency_ms REAL,
  tokens_in INTEGER,
  tokens_out INTEGER,
  cost_usd REAL,
  request_digest TEXT,
  response_digest TEXT,
  request_bytes INTEGER,
  response_bytes INTEGER,
  redactions TEXT,
  path TEXT,
  details TEXT`;

/** Ordered list; append new steps, never edit shipped ones. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'audit chain, checkpoints, anchor',
    up(db) {
      db.exec(`
        CREATE TABLE audit_events (
          seq INTEGER PRIMARY KEY,
          ${CONTENT_COLUMNS},
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
        -- Only selective columns get an index: every index costs page writes on each group
        -- commit. channel and decision have a handful of values; queries on them walk seq
        -- backwards (newest first) or combine with an indexed filter.
        CREATE INDEX audit_events_agent ON audit_events(agent_id);
        CREATE INDEX audit_events_target ON audit_events(target);
        CREATE INDEX audit_events_time ON audit_events(time);
        CREATE INDEX audit_events_trace ON audit_events(trace_id);

        CREATE TABLE audit_checkpoints (
          id INTEGER PRIMARY KEY,
          seq INTEGER NOT NULL,
          hash TEXT NOT NULL,
          time INTEGER NOT NULL,
          signature TEXT,
          key_id TEXT
        );
        CREATE INDEX audit_checkpoints_seq ON audit_checkpoints(seq);

        -- After pruning: the seq and hash of the last removed record, where the chain resumes.
        CREATE TABLE audit_anchor (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          seq INTEGER NOT NULL,
          hash TEXT NOT NULL,
          time INTEGER NOT NULL
        );

        -- Guards against accidental edits (not against an attacker with file access:
        -- that is what the hash chain and signed checkpoints are for). Pruning sets the
        -- flag inside its own transaction, so other connections never see it set.
        CREATE TABLE audit_maintenance (id INTEGER PRIMARY KEY CHECK (id = 1), pruning INTEGER NOT NULL);
        INSERT INTO audit_maintenance (id, pruning) VALUES (1, 0);
        CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
          BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
        CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
          WHEN (SELECT pruning FROM audit_maintenance WHERE id = 1) IS NOT 1
          BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END;
      `);
    },
  },
  {
    version: 2,
    name: 'query lookup filled after commit (lookup.ts) instead of indexes on audit_events',
    up(db) {
      // The four indexes move to a table of their own, filled after the commit instead of
      // inside it (see lookup.ts); existing records are indexed here, once.
      db.exec(`
        DROP INDEX IF EXISTS audit_events_agent;
        DROP INDEX IF EXISTS audit_events_target;
        DROP INDEX IF EXISTS audit_events_time;
        DROP INDEX IF EXISTS audit_events_trace;

        CREATE TABLE audit_lookup (
          seq INTEGER PRIMARY KEY,
          agent_id TEXT,
          target TEXT,
          time INTEGER NOT NULL,
          trace_id TEXT
        );
        -- Filled before its indexes are made: building an index sorts once, where inserting
        -- into four indexes row by row would not.
        INSERT INTO audit_lookup (seq, agent_id, target, time, trace_id)
          SELECT seq, agent_id, target, time, trace_id FROM audit_events ORDER BY seq;
        CREATE INDEX audit_lookup_agent ON audit_lookup(agent_id);
        CREATE INDEX audit_lookup_target ON audit_lookup(target);
        CREATE INDEX audit_lookup_time ON audit_lookup(time);
        CREATE INDEX audit_lookup_trace ON audit_lookup(trace_id);

        -- Entries are derived from records and never change; only a prune removes them.
        CREATE TRIGGER audit_lookup_no_update BEFORE UPDATE ON audit_lookup
          BEGIN SELECT RAISE(ABORT, 'audit_lookup is append-only'); END;
        CREATE TRIGGER audit_lookup_no_delete BEFORE DELETE ON audit_lookup
          WHEN (SELECT pruning FROM audit_maintenance WHERE id = 1) IS NOT 1
          BEGIN SELECT RAISE(ABORT, 'audit_lookup is append-only'); END;
      `);
    },
  },
];

/**
 * Applies pending audit migrations with the shared runner (src/util/sqlite-migrate.ts):
 * each in its own BEGIN IMMEDIATE transaction that re-reads the applied set, so two
 * processes starting at once cannot apply a step twice. Returns the versions applied.
 */
export function migrate(db: AuditDb, migrations: readonly Migration[] = MIGRATIONS): number[] {
  return runMigrations(db, migrations);
}

/** Highest applied schema version (0 for an empty database). */
export function schemaVersion(db: AuditDb): number {
  return appliedVersion(db);
}

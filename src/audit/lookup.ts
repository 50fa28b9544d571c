/**
 * The query lookup: the four columns reviewers filter on (agent, target, time, trace), with
 * their indexes, in a table of their own (audit_lookup) that the writer fills in batches
 * after the records have committed.
 *
 * Why not indexes on audit_events itself: every index is a B-tree insert and a page written
 * inside the commit each answer waits for. At one request at a time the four of them were a
 * third of the writer's work per record and about 75 µs of every answer (docs/benchmarks.md,
 * "The query lookup"); filled 512 records at a time, off that path, they cost about 6 µs per
 * record on a small trail and about 20 µs at 600,000 records (the random trace ids put almost
 * every record on its own page of the trace index; bench/audit-lookup-fill.mjs).
 *
 * The lookup always holds exactly the records with seq ≤ its own highest seq (`through`):
 * it is filled in seq order from the records after that, and a prune removes the same prefix
 * from both tables. Records after `through` (the tail: the latest commits, or records a CLI
 * appended while no gateway ran) are read from audit_events directly, so a query never
 * misses a record that has not been indexed yet. verifyChain checks the lookup against the
 * records, since a lookup row removed or altered would hide records from filtered queries.
 */
import type { Statement } from 'better-sqlite3';
import { withDeletesAllowed, type AuditDb } from './db.js';

/** Records indexed per lookup transaction: bounds how long one commit may wait behind it. */
export const LOOKUP_BATCH = 512;

/**
 * The next records after `?` (the lookup's end), at most `?` of them. The end is a parameter,
 * not a subquery: a SELECT that reads the table it inserts into is first copied to a
 * temporary table.
 */
export const FILL_SQL = `INSERT INTO audit_lookup (seq, agent_id, target, time, trace_id)
  SELECT seq, agent_id, target, time, trace_id FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?`;

interface Prepared {
  through: Statement<[], number | null>;
  fill: Statement<[number, number]>;
}

const cache = new WeakMap<AuditDb, Prepared>();

/**
 * Whether the database has the lookup: one at schema version 1 (written by an older Warden,
 * opened read-only, so not migrated) still has its four indexes on audit_events instead.
 */
export function hasLookup(db: AuditDb): boolean {
  if (cache.has(db)) return true;
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'audit_lookup'").get() !== undefined;
}

function prepared(db: AuditDb): Prepared {
  let p = cache.get(db);
  if (p) return p;
  p = {
    through: db.prepare<[], number | null>('SELECT MAX(seq) FROM audit_lookup').pluck(),
    fill: db.prepare<[number, number]>(FILL_SQL),
  };
  cache.set(db, p);
  return p;
}

/** The highest seq the lookup covers (0 when it is empty): later records are the tail. */
export function lookupThrough(db: AuditDb): number {
  return prepared(db).through.get() ?? 0;
}

/**
 * Indexes the next `max` records after the lookup's end, in one BEGIN IMMEDIATE transaction
 * (a savepoint inside another). Returns how many it indexed: fewer than `max` means it caught up.
 */
export function fillLookup(db: AuditDb, max: number = LOOKUP_BATCH): number {
  const { fill } = prepared(db);
  const run = db.transaction(() => fill.run(lookupThrough(db), max).changes);
  return db.inTransaction ? run() : run.immediate();
}

const MISSTORED_ENTRY = `typeof(k.agent_id) NOT IN ('text', 'null') OR typeof(k.target) NOT IN ('text', 'null')
  OR typeof(k.time) NOT IN ('integer', 'real') OR typeof(k.trace_id) NOT IN ('text', 'null')`;

/**
 * The first record the lookup misrepresents, or null: an entry whose record is gone or
 * differs in an indexed column, an entry holding a value of the wrong storage class, or a
 * record at or before the lookup's end without an entry. Each would make a filtered query
 * miss or misplace records. Entries at or below the prune
 * anchor without a record are left out: a prune by an older Warden left them, and no query
 * can return them (the join finds no record).
 */
export function lookupMismatch(db: AuditDb, anchorSeq: number): { seq: number; reason: string } | null {
  const through = lookupThrough(db);
  // IS NOT tells a BLOB from a text, but not when the record was changed the same way: an
  // entry whose value is not of its column's class is wrong whatever the record holds.
  const hit = db
    .prepare<[number], { seq: number; misstored: number }>(
      `SELECT k.seq, (${MISSTORED_ENTRY}) AS misstored FROM audit_lookup k LEFT JOIN audit_events e ON e.seq = k.seq
       WHERE CASE WHEN e.seq IS NULL THEN k.seq > ?
         ELSE k.agent_id IS NOT e.agent_id OR k.target IS NOT e.target OR k.time IS NOT e.time OR k.trace_id IS NOT e.trace_id
           OR ${MISSTORED_ENTRY} END
       ORDER BY k.seq LIMIT 1`,
    )
    .get(anchorSeq);
  const wrong = hit?.seq;
  const missing = db
    .prepare<[number], number>(
      `SELECT e.seq FROM audit_events e WHERE e.seq <= ?
       AND NOT EXISTS (SELECT 1 FROM audit_lookup k WHERE k.seq = e.seq) ORDER BY e.seq LIMIT 1`,
    )
    .pluck()
    .get(through);
  if (wrong === undefined && missing === undefined) return null;
  if (missing === undefined || (wrong !== undefined && wrong < missing)) {
    const how = hit?.misstored ? 'holds a value of the wrong storage type' : 'does not match the record';
    return { seq: wrong!, reason: `the query lookup's entry for seq ${wrong} ${how} (audit_lookup altered: filtered queries would misplace it)` };
  }
  return { seq: missing, reason: `the record at seq ${missing} has no entry in the query lookup (audit_lookup altered: filtered queries would not find it)` };
}

/**
 * Replaces every lookup entry with one made from the records, in one BEGIN IMMEDIATE
 * transaction or a savepoint inside another (`warden audit reindex`, after verify found the
 * lookup altered). Returns the entries removed and made.
 */
export function rebuildLookup(db: AuditDb): { removed: number; indexed: number } {
  const { fill } = prepared(db);
  const run = db.transaction(() => {
    const removed = withDeletesAllowed(db, () => db.prepare('DELETE FROM audit_lookup').run().changes);
    return { removed, indexed: fill.run(0, -1).changes }; // LIMIT -1: no limit
  });
  return db.inTransaction ? run() : run.immediate();
}

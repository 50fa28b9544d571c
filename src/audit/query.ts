import { shownRow, toRecord } from './chain.js';
import { inReadTransaction, type AuditDb } from './db.js';
import { hasLookup, lookupThrough } from './lookup.js';
import type { AuditRecord } from './record.js';

/** Filters combine with AND; records come back in seq order (`order`). */
export interface AuditQuery {
  agent?: string;
  channel?: string;
  decision?: string;
  target?: string;
  /** Inclusive lower bound on `time` (ms since epoch). */
  since?: number;
  /** Exclusive upper bound on `time` (ms since epoch). */
  until?: number;
  traceId?: string;
  /** Only records with seq > afterSeq (cursor for paging forward, oldest first). */
  afterSeq?: number;
  /** Only records with seq < beforeSeq (cursor for paging backward, newest first). */
  beforeSeq?: number;
  /** Default 100, at most 10 000. */
  limit?: number;
  /**
   * `oldest`: ascending seq (the library default); `newest`: descending seq, i.e. the
   * latest `limit` matching records. The CLI and the admin API pick newestFirstUnlessPaging().
   */
  order?: AuditOrder;
}

export type AuditOrder = 'newest' | 'oldest';

/**
 * The order the CLI and admin API use when the caller does not say: newest first (a
 * reviewer asking for 5 records wants the latest 5), except when paging forward with
 * afterSeq, which reads ascending from the cursor.
 */
export function newestFirstUnlessPaging(q: Pick<AuditQuery, 'afterSeq'>): AuditOrder {
  return q.afterSeq === undefined ? 'newest' : 'oldest';
}

export const MAX_QUERY_LIMIT = 10_000;

/** A parameterized statement. */
export interface QuerySql {
  sql: string;
  params: Array<string | number>;
}

/** The filters on the columns audit_lookup indexes: a query with one of them reads through the lookup. */
function usesLookup(q: AuditQuery): boolean {
  return q.agent !== undefined || q.target !== undefined || q.traceId !== undefined || q.since !== undefined || q.until !== undefined;
}

/**
 * The WHERE terms of `q`, on the columns `col` names (lookup columns or audit_events' own),
 * plus `extra` terms.
 */
function where(q: AuditQuery, col: (name: string) => string, extra: QuerySql[] = []): QuerySql {
  const terms: string[] = [];
  const params: Array<string | number> = [];
  const add = (term: string, v: string | number | undefined): void => {
    if (v === undefined) return;
    terms.push(term);
    params.push(v);
  };
  add(`${col('agent_id')} = ?`, q.agent);
  add(`${col('channel')} = ?`, q.channel);
  add(`${col('decision')} = ?`, q.decision);
  add(`${col('target')} = ?`, q.target);
  add(`${col('trace_id')} = ?`, q.traceId);
  add(`${col('time')} >= ?`, q.since);
  add(`${col('time')} < ?`, q.until);
  add(`${col('seq')} > ?`, q.afterSeq);
  add(`${col('seq')} < ?`, q.beforeSeq);
  for (const e of extra) {
    terms.push(e.sql);
    params.push(...e.params);
  }
  return { sql: terms.length ? 'WHERE ' + terms.join(' AND ') : '', params };
}

const LOOKUP_COLUMNS = new Set(['seq', 'agent_id', 'target', 'time', 'trace_id']);

/**
 * The statements of one query (without their LIMIT), given the lookup's end (`through`,
 * lookupThrough): `indexed` reads the records up to `through` by the lookup's indexes, `tail`
 * the records after it row by row. With `through` null, or no filter the lookup indexes,
 * `indexed` is null and `tail` reads audit_events alone.
 */
export function querySql(q: AuditQuery, through: number | null): { indexed: QuerySql | null; tail: QuerySql } {
  const order = q.order === 'newest' ? 'DESC' : 'ASC';
  if (through === null || !usesLookup(q)) {
    const w = where(q, (c) => c);
    return { indexed: null, tail: { sql: `SELECT * FROM audit_events ${w.sql} ORDER BY seq ${order}`, params: w.params } };
  }
  // CROSS JOIN keeps the lookup as the outer loop, so its indexes pick the rows.
  const k = where(q, (c) => (LOOKUP_COLUMNS.has(c) ? `k.${c}` : `e.${c}`), [{ sql: 'k.seq <= ?', params: [through] }]);
  const t = where(q, (c) => c, [{ sql: 'seq > ?', params: [through] }]);
  return {
    indexed: { sql: `SELECT e.* FROM audit_lookup k CROSS JOIN audit_events e ON e.seq = k.seq ${k.sql} ORDER BY k.seq ${order}`, params: k.params },
    tail: { sql: `SELECT * FROM audit_events ${t.sql} ORDER BY seq ${order}`, params: t.params },
  };
}

/**
 * Runs a filtered query over the trail (parameterized SQL). Filters on agent, target, trace
 * and time use the lookup's indexes for the records it covers and read the few after it
 * directly; both in one snapshot, joined in seq order.
 */
export function queryAudit(db: AuditDb, q: AuditQuery = {}): AuditRecord[] {
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), MAX_QUERY_LIMIT);
  const rows = inReadTransaction(db, () => {
    // A database of schema version 1 (read-only, not migrated) has no lookup: its own indexes serve.
    const { indexed, tail } = querySql(q, usesLookup(q) && hasLookup(db) ? lookupThrough(db) : null);
    const run = (s: QuerySql, n: number): Record<string, unknown>[] => db.prepare(`${s.sql} LIMIT ?`).all(...s.params, n) as Record<string, unknown>[];
    if (indexed === null) return run(tail, limit);
    // Every tail record comes after every indexed one.
    const [first, second] = q.order === 'newest' ? [tail, indexed] : [indexed, tail];
    const got = run(first, limit);
    return got.length < limit ? got.concat(run(second, limit - got.length)) : got;
  });
  return rows.map((r) => toRecord(shownRow(r)));
}

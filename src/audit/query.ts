import { fromDbRow, toRecord } from './chain.js';
import type { AuditDb } from './db.js';
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

/** Runs a filtered query over the trail (parameterized SQL; filters use the indexes). */
export function queryAudit(db: AuditDb, q: AuditQuery = {}): AuditRecord[] {
  const where: string[] = [];
  const params: Array<string | number> = [];
  const eq = (col: string, v: string | undefined): void => {
    if (v !== undefined) {
      where.push(`${col} = ?`);
      params.push(v);
    }
  };
  eq('agent_id', q.agent);
  eq('channel', q.channel);
  eq('decision', q.decision);
  eq('target', q.target);
  eq('trace_id', q.traceId);
  if (q.since !== undefined) {
    where.push('time >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('time < ?');
    params.push(q.until);
  }
  if (q.afterSeq !== undefined) {
    where.push('seq > ?');
    params.push(q.afterSeq);
  }
  if (q.beforeSeq !== undefined) {
    where.push('seq < ?');
    params.push(q.beforeSeq);
  }
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), MAX_QUERY_LIMIT);
  const order = q.order === 'newest' ? 'DESC' : 'ASC';
  const sql = `SELECT * FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq ${order} LIMIT ${limit}`;
  return (db.prepare(sql).all(...params) as Record<string, unknown>[]).map((r) => toRecord(fromDbRow(r)));
}

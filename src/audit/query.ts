import { fromDbRow, toRecord } from './chain.js';
import type { AuditDb } from './db.js';
import type { AuditRecord } from './record.js';

/** Filters combine with AND; records come back in seq order. */
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
  /** Only records with seq > afterSeq (cursor for paging). */
  afterSeq?: number;
  /** Default 100, at most 10 000. */
  limit?: number;
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
  const limit = Math.min(Math.max(1, Math.trunc(q.limit ?? 100)), MAX_QUERY_LIMIT);
  const sql = `SELECT * FROM audit_events ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY seq LIMIT ${limit}`;
  return (db.prepare(sql).all(...params) as Record<string, unknown>[]).map((r) => toRecord(fromDbRow(r)));
}

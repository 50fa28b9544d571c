import { GatewayError } from '../errors/gateway-error.js';
import { openAuditDb, type AuditDb } from './db.js';
import { MAX_QUERY_LIMIT, queryAudit, type AuditQuery } from './query.js';
import type { AuditRecord } from './record.js';

/** A read-only connection for the admin API (WAL: never blocks the writer). */
export function openAuditReadOnly(dbPath: string): AuditDb {
  return openAuditDb(dbPath, { readonly: true });
}

/**
 * Runs GET /admin/audit: query-string filters (agent, channel, decision, target,
 * since, until, traceId, afterSeq, limit) validated into an AuditQuery.
 */
export function queryFromHttp(db: AuditDb, q: Record<string, unknown>): AuditRecord[] {
  const bad = (name: string, why: string): never => {
    throw new GatewayError('INVALID_PARAMS', `Invalid query parameter ${name}: ${why}`);
  };
  const text = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 500) return bad(name, 'expected one string of at most 500 characters');
    return v;
  };
  const time = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const n = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
    return Number.isFinite(n) ? n : bad(name, 'expected ISO 8601 or epoch milliseconds');
  };
  const int = (name: string, max: number): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    return /^\d+$/.test(v) && n <= max ? n : bad(name, `expected an integer 0..${max}`);
  };
  const query: AuditQuery = {};
  const set = <K extends keyof AuditQuery>(k: K, v: AuditQuery[K] | undefined): void => {
    if (v !== undefined) query[k] = v;
  };
  set('agent', text('agent'));
  set('channel', text('channel'));
  set('decision', text('decision'));
  set('target', text('target'));
  set('traceId', text('traceId') ?? text('trace_id'));
  set('since', time('since'));
  set('until', time('until'));
  set('afterSeq', int('afterSeq', Number.MAX_SAFE_INTEGER));
  set('limit', int('limit', MAX_QUERY_LIMIT));
  return queryAudit(db, query);
}

import { Worker } from 'node:worker_threads';
import { GatewayError } from '../errors/gateway-error.js';
import { newestFirstUnlessPaging, type AuditQuery } from './query.js';
import type { QueryWorkerData, QueryWorkerReply } from './query-worker.js';
import { CHANNELS, DECISIONS, type AuditRecord } from './record.js';
import { parseTimeParam, TIME_PARAM_FORMS } from './time-param.js';

/** Most records one admin query returns (the CLI allows more: it is not on the gateway). */
export const MAX_ADMIN_LIMIT = 1000;
export const DEFAULT_ADMIN_LIMIT = 100;

/** Query parameters GET /admin/audit accepts; anything else is INVALID_PARAMS. */
export const ADMIN_QUERY_PARAMS = ['agent', 'channel', 'decision', 'target', 'since', 'until', 'traceId', 'trace_id', 'afterSeq', 'beforeSeq', 'limit'] as const;
const KNOWN = new Set<string>(ADMIN_QUERY_PARAMS);

/**
 * Validates GET /admin/audit query-string values into an AuditQuery, on the calling
 * thread. Throws GatewayError INVALID_PARAMS for an unknown parameter, a repeated or
 * overlong value, a channel not in CHANNELS, a decision not in DECISIONS, a bad time
 * (parseTimeParam: strict ISO 8601 or epoch ms) or a bad integer; limit is
 * 1..MAX_ADMIN_LIMIT (default 100).
 * Order: newest first, unless afterSeq pages forward (ascending).
 */
export function parseAdminQuery(q: Record<string, unknown>): AuditQuery {
  const bad = (name: string, why: string): never => {
    throw new GatewayError('INVALID_PARAMS', `Invalid query parameter ${name}: ${why}`);
  };
  for (const name of Object.keys(q)) {
    if (!KNOWN.has(name)) bad(name.slice(0, 60), `unknown parameter (expected one of ${ADMIN_QUERY_PARAMS.join(', ')})`);
  }
  const text = (name: string): string | undefined => {
    const v = q[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || v.length > 500) return bad(name, 'expected one string of at most 500 characters');
    return v;
  };
  const oneOf = (name: string, allowed: readonly string[]): string | undefined => {
    const v = text(name);
    return v === undefined || allowed.includes(v) ? v : bad(name, `expected one of ${allowed.join(', ')}`);
  };
  const time = (name: string): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    return parseTimeParam(v) ?? bad(name, `expected ${TIME_PARAM_FORMS}`);
  };
  const int = (name: string, min: number, max: number): number | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    return /^\d+$/.test(v) && n >= min && n <= max ? n : bad(name, `expected an integer ${min}..${max}`);
  };
  if (q.traceId !== undefined && q.trace_id !== undefined) bad('trace_id', 'give traceId or trace_id, not both');
  const query: AuditQuery = {};
  const set = <K extends keyof AuditQuery>(k: K, v: AuditQuery[K] | undefined): void => {
    if (v !== undefined) query[k] = v;
  };
  set('agent', text('agent'));
  set('channel', oneOf('channel', CHANNELS));
  set('decision', oneOf('decision', DECISIONS));
  set('target', text('target'));
  set('traceId', text('traceId') ?? text('trace_id'));
  set('since', time('since'));
  set('until', time('until'));
  set('afterSeq', int('afterSeq', 0, Number.MAX_SAFE_INTEGER));
  set('beforeSeq', int('beforeSeq', 0, Number.MAX_SAFE_INTEGER));
  query.limit = int('limit', 1, MAX_ADMIN_LIMIT) ?? DEFAULT_ADMIN_LIMIT;
  query.order = newestFirstUnlessPaging(query);
  return query;
}

// Under vitest this module runs from src/*.ts; the worker must be compiled JS from dist.
function queryWorkerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/audit/query-worker.js', here) : new URL('./query-worker.js', here);
}

/*
 * Why a short-lived worker per query rather than one long-lived reader thread: admin
 * queries are rare, so ~20-40 ms of thread start-up does not matter, and there is then no
 * lifecycle to manage: nothing to close at shutdown, nothing to restart after a crash, no
 * idle thread holding a connection. Each query opens a fresh read-only connection (a WAL
 * snapshot: it never blocks the writer) and closes it. At most MAX_RUNNING run at once and
 * at most MAX_WAITING wait, so a burst of admin requests cannot start a crowd of threads.
 */
const MAX_RUNNING = 2;
const MAX_WAITING = 32;
const QUERY_TIMEOUT_MS = 10_000;
let running = 0;
const waiting: Array<() => void> = [];

async function slot(): Promise<() => void> {
  if (running >= MAX_RUNNING) {
    if (waiting.length >= MAX_WAITING) throw new GatewayError('OVERLOADED', 'Too many audit queries at once; retry shortly', { headers: { 'retry-after': '1' } });
    await new Promise<void>((resolve) => waiting.push(resolve));
  } else running++;
  return () => {
    const next = waiting.shift();
    if (next) next(); // hand the slot over
    else running--;
  };
}

/**
 * GET /admin/audit without touching the gateway's event loop with SQLite work: validates
 * `q` here (parseAdminQuery: GatewayError INVALID_PARAMS), then runs the query on a
 * read-only connection in a worker thread. Rejects with GatewayError INTERNAL when the
 * database cannot be read or the query does not finish within 10 s, OVERLOADED when too
 * many queries are already waiting.
 */
export async function queryAuditOffThread(dbPath: string, q: Record<string, unknown>): Promise<AuditRecord[]> {
  const query = parseAdminQuery(q);
  const release = await slot();
  try {
    return await runQueryWorker({ dbPath, query }, queryWorkerUrl());
  } finally {
    release();
  }
}

/** Runs one query in a fresh worker thread (exported for tests: `url` may point elsewhere). */
export function runQueryWorker(data: QueryWorkerData, url: URL, timeoutMs = QUERY_TIMEOUT_MS): Promise<AuditRecord[]> {
  return new Promise<AuditRecord[]>((resolve, reject) => {
    const worker = new Worker(url, { workerData: data, resourceLimits: { maxOldGenerationSizeMb: 256 } });
    let settled = false;
    const finish = (err: unknown, records?: AuditRecord[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      if (records) resolve(records);
      else reject(new GatewayError('INTERNAL', 'The audit trail could not be queried', { cause: err }));
    };
    const timer = setTimeout(() => finish(new Error(`audit query did not finish within ${timeoutMs} ms`)), timeoutMs);
    worker.once('message', (m: QueryWorkerReply) => (m.ok ? finish(null, m.records) : finish(new Error(m.message))));
    worker.once('error', (err) => finish(err));
    worker.once('exit', (code) => finish(new Error(`audit query worker exited (code ${code}) without an answer`)));
  });
}

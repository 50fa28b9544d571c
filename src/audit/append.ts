import { randomUUID } from 'node:crypto';
import type { Statement, Transaction } from 'better-sqlite3';
import { FIELDS, GENESIS_HASH, hashRow, toRow, type AuditRow, type ContentHalves } from './chain.js';
import type { AuditDb } from './db.js';
import type { AuditEventInput } from './record.js';

/** Last record of the chain (or the prune anchor, or genesis): what the next record links to. */
export interface ChainHead {
  seq: number;
  hash: string;
}

/** Result of one committed group: seqs are firstSeq, firstSeq+1, ... in input order. */
export interface AppendResult {
  firstSeq: number;
  head: ChainHead;
}

interface Prepared {
  last: Statement<[], { seq: number; hash: string }>;
  anchor: Statement<[], { seq: number; hash: string }>;
  insert: Statement<unknown[]>;
  append: Transaction<(rows: readonly AuditRow[], check?: () => void, halves?: ReadonlyArray<ContentHalves | null>) => AppendResult>;
}

const cache = new WeakMap<AuditDb, Prepared>();

const INSERT_SQL = `INSERT INTO audit_events (seq, ${FIELDS.map((f) => f[1]).join(', ')}, prev_hash, hash)
  VALUES (${Array(FIELDS.length + 3).fill('?').join(', ')})`;

function prepared(db: AuditDb): Prepared {
  let p = cache.get(db);
  if (p) return p;
  const last = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  const anchor = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_anchor WHERE id = 1');
  const insert = db.prepare<unknown[]>(INSERT_SQL);
  const append = db.transaction((rows: readonly AuditRow[], check?: () => void, halves?: ReadonlyArray<ContentHalves | null>): AppendResult => {
    check?.();
    // Read the head inside the write transaction: another process may have appended since.
    const head = readHeadWith(last, anchor);
    const firstSeq = head.seq + 1;
    let prev = head.hash;
    let seq = head.seq;
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as AuditRow;
      seq += 1;
      const hash = hashRow(prev, seq, r, halves?.[i]);
      // Positional, in INSERT_SQL's column order (FIELDS order): the hot path of every write.
      insert.run(
        seq, r.time, r.requestId, r.traceId, r.parentId, r.agentId, r.keyId, r.channel, r.action, r.target,
        r.decision, r.policy, r.code, r.reason, r.status, r.latencyMs, r.tokensIn, r.tokensOut, r.costUsd,
        r.requestDigest, r.responseDigest, r.requestBytes, r.responseBytes, r.redactions, r.path, r.details,
        prev, hash,
      );
      prev = hash;
    }
    return { firstSeq, head: { seq, hash: prev } };
  });
  p = { last, anchor, insert, append };
  cache.set(db, p);
  return p;
}

function readHeadWith(last: Prepared['last'], anchor: Prepared['anchor']): ChainHead {
  const row = last.get() ?? anchor.get();
  return row ? { seq: row.seq, hash: row.hash } : { seq: 0, hash: GENESIS_HASH };
}

/** Current chain head (outside a transaction it may be stale by the time you use it). */
export function readHead(db: AuditDb): ChainHead {
  const p = prepared(db);
  return readHeadWith(p.last, p.anchor);
}

/**
 * Appends normalized rows as one BEGIN IMMEDIATE transaction (a savepoint when called
 * inside another transaction). The single implementation behind the worker and the CLI.
 * `check` runs first inside the transaction, once the write lock is held: when it throws,
 * the transaction rolls back and nothing is written. `halves[k]`, when given, is
 * contentHalves(rows[k]) made already (by the gateway's thread).
 */
export function appendRows(db: AuditDb, rows: readonly AuditRow[], check?: () => void, halves?: ReadonlyArray<ContentHalves | null>): AppendResult {
  const p = prepared(db);
  return db.inTransaction ? p.append(rows, check, halves) : p.append.immediate(rows, check, halves);
}

/** Synchronous append for the CLI and tests; returns the new records' seqs. */
export function appendDirect(db: AuditDb, events: readonly AuditEventInput[]): number[] {
  if (events.length === 0) return [];
  const { firstSeq } = appendRows(db, events.map(toRow));
  return events.map((_, i) => firstSeq + i);
}

/** A record the audit machinery writes about itself (gap, prune, amendment...). */
export function systemEvent(
  action: string,
  fields: Partial<Omit<AuditEventInput, 'channel' | 'action'>> = {},
): AuditEventInput {
  return {
    time: Date.now(),
    requestId: `audit-${randomUUID()}`,
    decision: 'allow',
    ...fields,
    channel: 'system',
    action,
  };
}

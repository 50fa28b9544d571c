import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readHead, systemEvent } from './append.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import { inReadTransaction, type AuditDb } from './db.js';
import { readHeadMarker } from './head-marker.js';
import type { AuditEventInput } from './record.js';

/** Last checkpoint in a JSONL checkpoint file (reads only its tail), or null if absent/empty. */
export function readLastCheckpointLine(file: string): Checkpoint | null {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter((l) => l.trim() !== '');
    const last = lines[lines.length - 1];
    return last === undefined ? null : parseCheckpoint(last);
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** How the database relates to a head {seq, hash} recorded earlier (a checkpoint or the marker). */
export type HeadComparison = 'same' | 'missing' | 'differs' | 'pruned';

/** `missing`: the database does not reach that seq; `pruned`: that seq lies below the prune anchor (cannot compare). */
export function compareWithRecordedHead(db: AuditDb, recorded: { seq: number; hash: string }): HeadComparison {
  return inReadTransaction(db, () => compareIn(db, recorded));
}

function compareIn(db: AuditDb, recorded: { seq: number; hash: string }): HeadComparison {
  const head = readHead(db);
  if (recorded.seq > head.seq) return 'missing';
  const anchor = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_anchor WHERE id = 1').get();
  let actual: string | undefined;
  if (anchor && recorded.seq === anchor.seq) actual = anchor.hash;
  else if (anchor && recorded.seq < anchor.seq) return 'pruned';
  else actual = db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(recorded.seq) as string | undefined;
  if (actual === undefined) return 'missing';
  return actual === recorded.hash ? 'same' : 'differs';
}

export interface ContinuitySources {
  /** The database path: its head marker `<db>.head` is checked. */
  dbPath?: string | null;
  /** The external checkpoint JSONL file, when configured. */
  checkpointFile?: string | null;
}

export interface ContinuityCheck {
  /** The `audit.discontinuity` record to append first, or null when the database continues what was recorded. */
  record: AuditEventInput | null;
  /** Problems that do not prove a discontinuity (an unreadable marker). */
  warnings: string[];
}

/**
 * Compares the database with what was recorded about it: the head marker beside it and the
 * last checkpoint in the external file. When it no longer holds either head (deleted and
 * recreated, restored from an old copy, rewritten), returns one `audit.discontinuity`
 * record naming every head it misses (details: markerSeq/markerHash/markerTime and/or
 * checkpointSeq/checkpointHash/checkpointTime, plus the current headSeq/headHash).
 */
export function checkContinuity(db: AuditDb, sources: ContinuitySources): ContinuityCheck {
  // One snapshot for every comparison and the head named in the record.
  return inReadTransaction(db, () => checkContinuityIn(db, sources));
}

function checkContinuityIn(db: AuditDb, sources: ContinuitySources): ContinuityCheck {
  const warnings: string[] = [];
  const missed: Array<{ source: 'head-marker' | 'checkpoint-file'; seq: number; hash: string; time: number; how: HeadComparison }> = [];
  if (sources.dbPath) {
    const marker = readHeadMarker(sources.dbPath);
    if (marker === 'invalid') warnings.push('audit head marker file is unreadable or malformed; ignored');
    else if (marker !== null && marker.seq > 0) {
      const how = compareWithRecordedHead(db, marker);
      if (how === 'missing' || how === 'differs') missed.push({ source: 'head-marker', ...marker, how });
    }
  }
  if (sources.checkpointFile) {
    const cp = readLastCheckpointLine(sources.checkpointFile);
    if (cp !== null && cp.seq > 0) {
      const how = compareWithRecordedHead(db, cp);
      if (how === 'missing' || how === 'differs') missed.push({ source: 'checkpoint-file', seq: cp.seq, hash: cp.hash, time: cp.time, how });
    }
  }
  const first = missed[0];
  if (first === undefined) return { record: null, warnings };
  const head = readHead(db);
  const what = first.source === 'head-marker' ? 'the head marker' : 'the last exported checkpoint';
  const details: Record<string, unknown> = { sources: missed.map((m) => m.source), headSeq: head.seq, headHash: head.hash };
  for (const m of missed) {
    const p = m.source === 'head-marker' ? 'marker' : 'checkpoint';
    details[`${p}Seq`] = m.seq;
    details[`${p}Hash`] = m.hash;
    details[`${p}Time`] = m.time;
  }
  const record = systemEvent('audit.discontinuity', {
    decision: 'error',
    reason:
      first.how === 'missing'
        ? `database does not reach ${what} (seq ${first.seq}); this is a new segment`
        : `database hash at seq ${first.seq} differs from ${what}`,
    details,
  });
  return { record, warnings };
}

/** The external-file check alone (kept for callers of the original API). */
export function continuityRecord(db: AuditDb, file: string): AuditEventInput | null {
  return checkContinuity(db, { checkpointFile: file }).record;
}

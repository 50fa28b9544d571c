import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readHead, systemEvent } from './append.js';
import { parseCheckpoint, type Checkpoint } from './checkpoint.js';
import type { AuditDb } from './db.js';
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

/**
 * Compares the database with the last checkpoint exported to the external file. When
 * the database no longer holds that head (deleted and recreated, restored from an old
 * copy, rewritten), returns an `audit.discontinuity` record for the writer to append.
 */
export function continuityRecord(db: AuditDb, file: string): AuditEventInput | null {
  const cp = readLastCheckpointLine(file);
  if (cp === null || cp.seq === 0) return null;
  const head = readHead(db);
  const anchor = db.prepare<[], { seq: number; hash: string }>('SELECT seq, hash FROM audit_anchor WHERE id = 1').get();
  let actual: string | null | undefined;
  if (cp.seq > head.seq) actual = null;
  else if (anchor && cp.seq === anchor.seq) actual = anchor.hash;
  else if (anchor && cp.seq < anchor.seq) return null; // pruned: cannot compare
  else actual = (db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(cp.seq) as string | undefined) ?? null;
  if (actual === cp.hash) return null;
  return systemEvent('audit.discontinuity', {
    decision: 'error',
    reason:
      actual === null
        ? `database does not reach the last exported checkpoint (seq ${cp.seq}); this is a new segment`
        : `database hash at seq ${cp.seq} differs from the last exported checkpoint`,
    details: { checkpointSeq: cp.seq, checkpointHash: cp.hash, checkpointTime: cp.time, headSeq: head.seq, headHash: head.hash },
  });
}

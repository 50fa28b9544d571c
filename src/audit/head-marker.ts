/**
 * The head marker: `<db>.head`, a small JSON file `{seq, hash, time}` beside the database,
 * rewritten (temp file + rename, mode 0600) whenever a checkpoint is written. At start the
 * writer compares the database with it, so a database that was deleted and recreated, or
 * restored from an older copy, is noticed even when no external checkpoint file is
 * configured. It is a tripwire against accidents and careless tampering only: whoever can
 * delete the database can delete the marker too (keep checkpoints off-host for that).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import type { ChainHead } from './append.js';

export interface HeadMarker extends ChainHead {
  /** When the checkpoint it mirrors was written (ms since epoch). */
  time: number;
}

/** `<dbPath>.head` */
export function headMarkerPath(dbPath: string): string {
  return `${dbPath}.head`;
}

/** Writes the marker atomically: a reader sees the old or the new content, never a torn file. */
export function writeHeadMarker(dbPath: string, marker: HeadMarker): void {
  const target = headMarkerPath(dbPath);
  // Unique temp name: the gateway and the CLI may write checkpoints at the same time.
  const tmp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, JSON.stringify({ seq: marker.seq, hash: marker.hash, time: marker.time }) + '\n');
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** The marker, null when there is none, or 'invalid' when the file exists but is not a marker. */
export function readHeadMarker(dbPath: string): HeadMarker | null | 'invalid' {
  let text: string;
  try {
    text = readFileSync(headMarkerPath(dbPath), 'utf8');
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : 'invalid';
  }
  try {
    const o = JSON.parse(text) as Record<string, unknown>;
    const ok = Number.isSafeInteger(o.seq) && (o.seq as number) >= 0 && typeof o.hash === 'string' && /^[0-9a-f]{64}$/.test(o.hash) && typeof o.time === 'number';
    return ok ? { seq: o.seq as number, hash: o.hash as string, time: o.time as number } : 'invalid';
  } catch {
    return 'invalid';
  }
}

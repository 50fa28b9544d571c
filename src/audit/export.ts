import { FIELDS, shownRow, toRecord, type StoredRow } from './chain.js';
import type { AuditDb } from './db.js';
import type { AuditRecord } from './record.js';

/**
 * Streams every record in seq order without loading the table into memory. The read
 * runs in one snapshot (WAL), so a concurrent writer neither blocks nor tears it.
 */
export function* exportRows(db: AuditDb, afterSeq = 0): Generator<StoredRow> {
  const it = db.prepare('SELECT * FROM audit_events WHERE seq > ? ORDER BY seq').iterate(afterSeq) as IterableIterator<Record<string, unknown>>;
  for (const r of it) yield shownRow(r);
}

/** Same as exportRows, as public records (JSON-valued fields parsed). */
export function* exportRecords(db: AuditDb, afterSeq = 0): Generator<AuditRecord> {
  for (const row of exportRows(db, afterSeq)) yield toRecord(row);
}

/** CSV column order: seq, the content fields, prev_hash, hash (snake_case names). */
export const CSV_COLUMNS: readonly string[] = ['seq', ...FIELDS.map((f) => f[1]), 'prev_hash', 'hash'];

/**
 * RFC 4180 field: quoted, with quotes doubled, whenever it holds a comma, quote, CR or
 * LF, so attacker-controlled text can never end a record or forge a new one.
 */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/** The header line, CRLF-terminated. */
export function csvHeader(): string {
  return CSV_COLUMNS.join(',') + '\r\n';
}

/** One record as a CRLF-terminated CSV line; JSON-valued fields as their JSON text. */
export function csvLine(row: StoredRow): string {
  const src = row as unknown as Record<string, string | number | null>;
  let out = csvField(row.seq);
  for (const [name] of FIELDS) out += ',' + csvField(src[name] ?? null);
  return out + ',' + csvField(row.prevHash) + ',' + csvField(row.hash) + '\r\n';
}

/** One record as a JSON line (JSON.stringify escapes control characters, so it is one line). */
export function jsonLine(row: StoredRow): string {
  return JSON.stringify(toRecord(row)) + '\n';
}

import { canonicalJson, canonicalJsonWithin, quote } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';
import type { AuditEventInput, AuditRecord, Channel, AuditDecision } from './record.js';

/** prev_hash of the first record of a chain that was never pruned. */
export const GENESIS_HASH = '0'.repeat(64);

type Kind = 'str' | 'req' | 'num' | 'json';

/** Every content column: camelCase name (as in AuditEventInput), SQL column, value kind. */
export const FIELDS = [
  ['time', 'time', 'num'],
  ['requestId', 'request_id', 'req'],
  ['traceId', 'trace_id', 'str'],
  ['parentId', 'parent_id', 'str'],
  ['agentId', 'agent_id', 'str'],
  ['keyId', 'key_id', 'str'],
  ['channel', 'channel', 'req'],
  ['action', 'action', 'req'],
  ['target', 'target', 'str'],
  ['decision', 'decision', 'req'],
  ['policy', 'policy', 'str'],
  ['code', 'code', 'str'],
  ['reason', 'reason', 'str'],
  ['status', 'status', 'num'],
  ['latencyMs', 'latency_ms', 'num'],
  ['tokensIn', 'tokens_in', 'num'],
  ['tokensOut', 'tokens_out', 'num'],
  ['costUsd', 'cost_usd', 'num'],
  ['requestDigest', 'request_digest', 'str'],
  ['responseDigest', 'response_digest', 'str'],
  ['requestBytes', 'request_bytes', 'num'],
  ['responseBytes', 'response_bytes', 'num'],
  ['redactions', 'redactions', 'json'],
  ['path', 'path', 'json'],
  ['details', 'details', 'json'],
] as const satisfies ReadonlyArray<readonly [keyof AuditEventInput, string, Kind]>;

type FieldName = (typeof FIELDS)[number][0];

/**
 * A record's content exactly as stored: strings, finite numbers or null; JSON-valued
 * fields as their canonical JSON text. The hash covers these values, so what is read
 * back from SQLite re-hashes to the same digest.
 */
export type AuditRow = { time: number; requestId: string; channel: string; action: string; decision: string } & {
  [K in Exclude<FieldName, 'time' | 'requestId' | 'channel' | 'action' | 'decision'>]: K extends 'redactions' | 'path' | 'details'
    ? string | null
    : K extends 'status' | 'latencyMs' | 'tokensIn' | 'tokensOut' | 'costUsd' | 'requestBytes' | 'responseBytes'
      ? number | null
      : string | null;
};

/** A stored row as read back: content plus chain position. */
export interface StoredRow extends AuditRow {
  seq: number;
  prevHash: string;
  hash: string;
}

interface WellFormed {
  isWellFormed?(): boolean;
  toWellFormed?(): string;
}

// Lone surrogates would be replaced by SQLite's UTF-8 conversion and break the hash on read-back.
// A value of the wrong type (the fields are declared strings) is kept as text when it has one,
// as JSON.stringify would have kept it: a Date as its ISO string; a symbol or function as null.
function str(v: unknown): string | null {
  if (v === null || v === undefined || typeof v === 'symbol' || typeof v === 'function') return null;
  const s = typeof v === 'string' ? v : typeof v === 'object' ? objectText(v) : String(v);
  const w = s as WellFormed;
  return w.isWellFormed && !w.isWellFormed() && w.toWellFormed ? w.toWellFormed() : s;
}

function objectText(v: object): string {
  const j = (v as { toJSON?: unknown }).toJSON;
  const t: unknown = typeof j === 'function' ? (j as () => unknown).call(v) : v;
  if (typeof t === 'string') return t;
  return canonicalJsonWithin(t, MAX_JSON_FIELD_CHARS) ?? TOO_LARGE;
}

const req = (v: unknown): string => str(v) ?? '';
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** Longest canonical JSON text stored for one JSON-valued field (redactions, path, details). */
export const MAX_JSON_FIELD_CHARS = 64 * 1024;
/**
 * Longest target stored as it is. A target can be an agent's own words (a tool name, a URI
 * it asked for, refused or not): past this it is cut, with its length and digest kept, so no
 * request can write megabytes into the trail and its query lookup.
 */
export const MAX_TARGET_CHARS = 1024;

function clippedTarget(t: string | null): string | null {
  if (t === null || t.length <= MAX_TARGET_CHARS) return t;
  return `${t.slice(0, MAX_TARGET_CHARS - 100)}…[${t.length} characters, sha256 ${sha256Hex(t).slice(0, 32)}]`;
}
/** What an oversized JSON-valued field is replaced with. */
export const TOO_LARGE = '[TooLarge]';
const TOO_LARGE_JSON = quote(TOO_LARGE);

// null when the field's canonical text would exceed MAX_JSON_FIELD_CHARS.
const json = (v: unknown): string | null | undefined => (v === null || v === undefined ? null : (canonicalJsonWithin(v, MAX_JSON_FIELD_CHARS) ?? undefined));

/**
 * The JSON-valued fields, capped: an oversized field becomes the string "[TooLarge]", and
 * details then says which fields were replaced (`auditTooLarge`); oversized details become
 * `{"auditTooLarge": [...], "value": "[TooLarge]"}`.
 */
function jsonFields(e: AuditEventInput): Pick<AuditRow, 'redactions' | 'path' | 'details'> {
  const redactions = json(e.redactions);
  const path = json(e.path);
  const details = json(e.details);
  if (redactions !== undefined && path !== undefined && details !== undefined) return { redactions, path, details };
  const tooLarge = (['redactions', 'path', 'details'] as const).filter((_, i) => [redactions, path, details][i] === undefined);
  let d: Record<string, unknown> = { value: TOO_LARGE };
  if (details !== undefined && details !== null) {
    const parsed = JSON.parse(details) as unknown;
    d = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  } else if (details === null) d = {};
  d.auditTooLarge = tooLarge;
  return {
    redactions: redactions === undefined ? TOO_LARGE_JSON : redactions,
    path: path === undefined ? TOO_LARGE_JSON : path,
    details: canonicalJsonWithin(d, MAX_JSON_FIELD_CHARS * 2) ?? canonicalJson({ auditTooLarge: tooLarge, value: TOO_LARGE }),
  };
}

/**
 * Normalizes a producer's event into the stored shape. Never yields a value a column
 * constraint would reject; JSON-valued fields are capped (see jsonFields). It can throw only
 * when the event's own code does (a `toJSON()` or a getter): safeRow catches that per event.
 * Written out field by field: this runs once per record, on the thread that sends it to the
 * writer (sink-outbox.ts), while the request waits.
 */
export function toRow(e: AuditEventInput): AuditRow {
  const { redactions, path, details } = jsonFields(e);
  return {
    time: num(e.time) ?? Date.now(),
    requestId: req(e.requestId),
    traceId: str(e.traceId),
    parentId: str(e.parentId),
    agentId: str(e.agentId),
    keyId: str(e.keyId),
    channel: req(e.channel),
    action: req(e.action),
    target: clippedTarget(str(e.target)),
    decision: req(e.decision),
    policy: str(e.policy),
    code: str(e.code),
    reason: str(e.reason),
    status: num(e.status),
    latencyMs: num(e.latencyMs),
    tokensIn: num(e.tokensIn),
    tokensOut: num(e.tokensOut),
    costUsd: num(e.costUsd),
    requestDigest: str(e.requestDigest),
    responseDigest: str(e.responseDigest),
    requestBytes: num(e.requestBytes),
    responseBytes: num(e.responseBytes),
    redactions,
    path,
    details,
  };
}

/**
 * toRow, but one bad event (a throwing toJSON, say) becomes a placeholder row instead of an
 * exception that would lose its record: its plain string/number fields (decision, status...)
 * are kept, the JSON-valued ones dropped, and details say why: {"auditError": "..."}.
 */
export function safeRow(e: AuditEventInput): AuditRow {
  try {
    return toRow(e);
  } catch (err) {
    const kept: Record<string, unknown> = {};
    for (const [name, , kind] of FIELDS) {
      if (kind === 'json') continue;
      try {
        const v = (e as unknown as Record<string, unknown>)[name];
        if (typeof v === 'string' || typeof v === 'number') kept[name] = v;
      } catch {
        // unreadable field: left out
      }
    }
    let message: string;
    try {
      message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    } catch {
      message = 'unknown error';
    }
    kept.details = { auditError: `record could not be normalized (${message.slice(0, 200)}); details dropped` };
    return toRow(kept as unknown as AuditEventInput);
  }
}

/**
 * Maps a `SELECT *` row of audit_events back to its stored shape, values exactly as read (for
 * hashing: a value of the wrong storage class stays what it is, and S and N never hash it like
 * a string or number). Query and export use shownRow.
 */
export function fromDbRow(r: Record<string, unknown>): StoredRow {
  const row: Record<string, unknown> = { seq: r.seq, prevHash: r.prev_hash, hash: r.hash };
  for (const [name, col] of FIELDS) row[name] = r[col] ?? null;
  return row as unknown as StoredRow;
}

// Every column of audit_events a row holds, content or chain, with the JS type of its values.
const COLUMN_TYPES: ReadonlyArray<readonly [name: string, column: string, type: 'string' | 'number']> = [
  ...FIELDS.map((f) => [f[0], f[1], f[2] === 'num' ? 'number' : 'string'] as const),
  ['prevHash', 'prev_hash', 'string'],
  ['hash', 'hash', 'string'],
];
const misstored = (v: unknown, type: 'string' | 'number'): boolean => v !== null && v !== undefined && typeof v !== type;

/**
 * SQLite keeps each value's own storage class, whatever the column's type: someone with the
 * file can turn a text into a BLOB of the same bytes (or a time into a BLOB of its digits),
 * which a filtered query (`agent_id = ?`, `time < ?`) then no longer matches, while the bytes,
 * and so the hash, look the same. Returns the first column of a `SELECT *` row of audit_events whose value
 * is not of its column's class (text columns: a string; number columns: a number; null where
 * allowed), with the class expected and found, or null.
 */
export function misstoredColumn(r: Record<string, unknown>): { column: string; expected: string; found: string } | null {
  for (const [, col, type] of COLUMN_TYPES) {
    if (misstored(r[col], type)) return { column: col, expected: type === 'string' ? 'text' : 'a number', found: storageClass(r[col]) };
  }
  return null;
}

function storageClass(v: unknown): string {
  if (Buffer.isBuffer(v)) return 'blob';
  return typeof v === 'string' ? 'text' : typeof v === 'number' || typeof v === 'bigint' ? 'number' : typeof v;
}

/**
 * fromDbRow for showing (query, export): a value of the wrong storage class is shown as a
 * marked string (`[blob x'6869']`, `[text '1700000000000']`), never passed off as the value it
 * imitates, nor as a Buffer object. verify reports such a row as tampered (misstoredColumn).
 */
export function shownRow(r: Record<string, unknown>): StoredRow {
  const row = fromDbRow(r) as unknown as Record<string, unknown>;
  for (const [name, , type] of COLUMN_TYPES) if (misstored(row[name], type)) row[name] = misstoredText(row[name]);
  return row as unknown as StoredRow;
}

function misstoredText(v: unknown): string {
  if (Buffer.isBuffer(v)) return `[blob x'${v.toString('hex')}']`;
  return `[${storageClass(v)} '${String(v)}']`;
}

/** The public record shape: JSON-valued fields parsed. */
export function toRecord(row: StoredRow): AuditRecord {
  return {
    ...row,
    channel: row.channel as Channel,
    decision: row.decision as AuditDecision,
    redactions: parseJson(row.redactions) as Record<string, number> | null,
    path: parseJson(row.path) as AuditRecord['path'],
    details: parseJson(row.details) as Record<string, unknown> | null,
  };
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { unparsable: text };
  }
}

/** Content keys in canonical (sorted) order: the hashed object's shape. */
export const CONTENT_KEYS: readonly string[] = [...FIELDS.map((f) => f[0] as string), 'seq'].sort();

// A value of another type (a BLOB read back as a Buffer, say) gets a tag no JSON value starts
// with, so it can never hash like the string or number of the same bytes (see misstoredColumn).
const S = (v: string | null): string => (typeof v === 'string' ? quote(v) : v === null ? 'null' : misstoredTag(v));
// For finite numbers '' + v is exactly what JSON.stringify produces (including -0 → "0").
const N = (v: number | null): string => (typeof v === 'number' ? '' + v : v === null ? 'null' : misstoredTag(v));
const misstoredTag = (v: unknown): string => '!' + misstoredText(v);

/**
 * A row's canonical content around its seq (the text before the seq's value and after it).
 * The gateway's thread makes these when it sends a row, so the writer thread, whose time each
 * answer waits for, only joins them with the seq and the previous hash.
 */
export type ContentHalves = readonly [beforeSeq: string, afterSeq: string];

/**
 * Canonical serialization of a record's content including its seq: a JSON object with
 * keys in sorted order (CONTENT_KEYS; a test pins the two together) and null for absent
 * values. JSON-valued fields appear as their canonical text (a JSON string), which keeps
 * the encoding unambiguous.
 */
export function contentString(seq: number, r: AuditRow, halves: ContentHalves = contentHalves(r)): string {
  return halves[0] + N(seq) + halves[1];
}

/** Spelled out because it runs for every record written or verified. */
export function contentHalves(r: AuditRow): ContentHalves {
  return [
    '{"action":' + S(r.action) +
    ',"agentId":' + S(r.agentId) +
    ',"channel":' + S(r.channel) +
    ',"code":' + S(r.code) +
    ',"costUsd":' + N(r.costUsd) +
    ',"decision":' + S(r.decision) +
    ',"details":' + S(r.details) +
    ',"keyId":' + S(r.keyId) +
    ',"latencyMs":' + N(r.latencyMs) +
    ',"parentId":' + S(r.parentId) +
    ',"path":' + S(r.path) +
    ',"policy":' + S(r.policy) +
    ',"reason":' + S(r.reason) +
    ',"redactions":' + S(r.redactions) +
    ',"requestBytes":' + N(r.requestBytes) +
    ',"requestDigest":' + S(r.requestDigest) +
    ',"requestId":' + S(r.requestId) +
    ',"responseBytes":' + N(r.responseBytes) +
    ',"responseDigest":' + S(r.responseDigest) +
    ',"seq":',
    ',"status":' + N(r.status) +
    ',"target":' + S(r.target) +
    ',"time":' + N(r.time) +
    ',"tokensIn":' + N(r.tokensIn) +
    ',"tokensOut":' + N(r.tokensOut) +
    ',"traceId":' + S(r.traceId) +
    '}',
  ];
}

/** hash = SHA-256(prevHash ‖ canonical content), hex; `halves`: contentHalves(row), when made already. */
export function hashRow(prevHash: string, seq: number, row: AuditRow, halves?: ContentHalves | null): string {
  return sha256Hex(prevHash + contentString(seq, row, halves ?? undefined));
}

import { systemEvent } from './append.js';
import { canonicalJson } from '../util/canonical-json.js';
import { toRow, type AuditRow, type ContentHalves } from './chain.js';
import type { AuditEventInput } from './record.js';

/**
 * Rewrites a record so the trail says what the client actually got: 503 AUDIT_UNAVAILABLE.
 * The original outcome is kept under details.auditAmended.
 */
export function amendRow(row: AuditRow, reason: string): AuditRow {
  let details: Record<string, unknown> = {};
  if (row.details !== null) {
    const parsed = JSON.parse(row.details) as unknown;
    details = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : { value: parsed };
  }
  details.auditAmended = { decision: row.decision, status: row.status, code: row.code, reason: row.reason };
  return { ...row, decision: 'error', status: 503, code: 'AUDIT_UNAVAILABLE', reason, details: canonicalJson(details) };
}

/** The next group to commit: rows in order and the producer ids (0 = writer's own record). */
export interface Group {
  ids: number[];
  rows: AuditRow[];
  /** rows[k]'s content halves as sent (null: the writer made or changed the row; hashRow makes them). */
  halves: Array<ContentHalves | null>;
  /** Producer ids whose record was amended to 503 before this commit. */
  amended: number[];
}

/**
 * FIFO of records awaiting commit; a failed group stays at the head, in order. Kept as
 * parallel arrays (no per-record wrapper object) because it sits on the write hot path.
 * Positions are absolute (`#base` counts items dropped by compaction).
 */
export class WriterQueue {
  #rows: AuditRow[] = [];
  #halves: Array<ContentHalves | null> = [];
  #ids: number[] = [];
  #deadlines: number[] = [];
  #head = 0;
  #base = 0;
  /** producer id → absolute position, for amendments. */
  #pos = new Map<number, number>();
  #amended = new Set<number>();
  /** Open `audit.gap` at the tail (not yet handed out), merging consecutive refusals. */
  #gap: { at: number; count: number; first: number; last: number } | null = null;

  /** Items queued (including writer-generated ones). */
  get size(): number {
    return this.#rows.length - this.#head;
  }

  /** Producer records queued. */
  get producerCount(): number {
    return this.#pos.size;
  }

  /** Producer records, normalized on the gateway's thread (see sink-outbox.ts). */
  pushRows(ids: readonly number[], rows: readonly AuditRow[], deadline: number, halves?: ReadonlyArray<ContentHalves | null>): void {
    this.#gap = null;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i] as number;
      this.#pos.set(id, this.#base + this.#rows.length);
      this.#rows.push(rows[i] as AuditRow);
      this.#halves.push(halves?.[i] ?? null);
      this.#ids.push(id);
      this.#deadlines.push(deadline);
    }
  }

  /** Notes refused appends; consecutive refusals merge into one `audit.gap` record. */
  pushGap(count: number, at: number): void {
    const g = this.#gap;
    if (g && g.at - this.#base >= this.#head) {
      g.count += count;
      g.last = at;
      this.#rows[g.at - this.#base] = toRow(gapEvent(g.count, g.first, g.last));
      return;
    }
    this.pushSystem(gapEvent(count, at, at));
    this.#gap = { at: this.#base + this.#rows.length - 1, count, first: at, last: at };
  }

  pushSystem(event: AuditEventInput): void {
    this.#gap = null;
    this.#rows.push(toRow(event));
    this.#halves.push(null);
    this.#ids.push(0);
    this.#deadlines.push(Infinity);
  }

  /** Amends a still-queued producer record; false when it is no longer queued (committed). */
  amend(id: number, reason: string): boolean {
    const at = this.#pos.get(id);
    if (at === undefined) return false;
    if (!this.#amended.has(id)) {
      const k = at - this.#base;
      this.#rows[k] = amendRow(this.#rows[k] as AuditRow, reason);
      this.#halves[k] = null; // what was sent no longer describes the row
      this.#amended.add(id);
    }
    return true;
  }

  /**
   * The next group (at most `max` items), in order. Records whose deadline is at or before
   * `amendBefore` are amended first: their callers are answered 503, and the trail must
   * say so. Nothing is removed until `shift` (after the commit landed).
   */
  peek(max: number, amendBefore: number, reason: () => string): Group {
    const end = Math.min(this.#rows.length, this.#head + max);
    this.#gap = null; // a handed-out gap record is final
    for (let k = this.#head; k < end; k++) {
      if ((this.#deadlines[k] as number) <= amendBefore) this.amend(this.#ids[k] as number, reason());
    }
    const ids = this.#ids.slice(this.#head, end);
    const amended = this.#amended.size > 0 ? ids.filter((id) => this.#amended.has(id)) : [];
    return { ids, rows: this.#rows.slice(this.#head, end), halves: this.#halves.slice(this.#head, end), amended };
  }

  /** Drops the first `n` items after their commit landed. */
  shift(n: number): void {
    for (let k = this.#head; k < this.#head + n; k++) {
      const id = this.#ids[k] as number;
      if (id > 0) {
        this.#pos.delete(id);
        this.#amended.delete(id);
      }
      // Released at once, not at the next compaction: a committed row kept for thousands of
      // records outlives young-generation collections, is promoted, and makes each of them slower.
      this.#rows[k] = RELEASED;
      this.#halves[k] = null;
    }
    this.#head += n;
    // Compact occasionally instead of shifting arrays per group (O(n) each).
    if (this.#head > 4096 && this.#head * 2 > this.#rows.length) {
      this.#rows = this.#rows.slice(this.#head);
      this.#halves = this.#halves.slice(this.#head);
      this.#ids = this.#ids.slice(this.#head);
      this.#deadlines = this.#deadlines.slice(this.#head);
      this.#base += this.#head;
      this.#head = 0;
    }
  }
}

/** Placeholder for a committed row's slot (never read: positions before #head are done). */
const RELEASED = Object.freeze({}) as AuditRow;

function gapEvent(count: number, first: number, last: number): AuditEventInput {
  return systemEvent('audit.gap', {
    decision: 'error',
    status: 503,
    code: 'AUDIT_UNAVAILABLE',
    reason: `${count} audit record(s) refused while the audit queue was full`,
    details: { refused: count, firstRefusedAt: first, lastRefusedAt: last },
  });
}

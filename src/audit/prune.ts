import { appendRows, systemEvent, type ChainHead } from './append.js';
import { toRow } from './chain.js';
import type { AuditDb } from './db.js';

export interface PruneResult {
  /** Records removed. */
  deleted: number;
  /** The new anchor (last removed record), or null when nothing was removed. */
  anchor: ChainHead | null;
  /** Seq of the `audit.pruned` record that attests the prune. */
  recordSeq: number;
}

/**
 * Removes the prefix of the chain up to the last record whose time is before `before`
 * (ms since epoch), in one transaction: stores the last removed record's {seq, hash} as
 * the anchor the remainder links to, then appends an `audit.pruned` record naming it, so
 * the remaining chain verifies and the prune itself is in the trail.
 */
export function pruneBefore(db: AuditDb, before: number, extra: Record<string, unknown> = {}): PruneResult {
  const tx = db.transaction((): PruneResult => {
    const through = db.prepare('SELECT MAX(seq) FROM audit_events WHERE time < ?').pluck().get(before) as number | null;
    let anchor: ChainHead | null = null;
    let deleted = 0;
    if (through !== null) {
      const hash = db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(through) as string;
      // The append-only trigger lets deletes through only while this flag is set (in this transaction).
      db.prepare('UPDATE audit_maintenance SET pruning = 1 WHERE id = 1').run();
      deleted = db.prepare('DELETE FROM audit_events WHERE seq <= ?').run(through).changes;
      db.prepare('UPDATE audit_maintenance SET pruning = 0 WHERE id = 1').run();
      db.prepare('INSERT OR REPLACE INTO audit_anchor (id, seq, hash, time) VALUES (1, ?, ?, ?)').run(through, hash, Date.now());
      anchor = { seq: through, hash };
    }
    const record = systemEvent('audit.pruned', {
      reason: deleted > 0 ? `pruned ${deleted} record(s) through seq ${through}` : 'nothing to prune',
      details: { ...extra, before, deleted, throughSeq: anchor?.seq ?? null, anchorHash: anchor?.hash ?? null },
    });
    const { firstSeq } = appendRows(db, [toRow(record)]);
    return { deleted, anchor, recordSeq: firstSeq };
  });
  return tx.immediate();
}

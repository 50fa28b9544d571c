import { appendRows, systemEvent, type ChainHead } from './append.js';
import { toRow } from './chain.js';
import type { CheckpointSigner } from './checkpoint.js';
import { signPruneAttestation, type PruneAttestation } from './prune-attestation.js';
import { withDeletesAllowed, type AuditDb } from './db.js';

/** Default retention floor: records younger than 30 days are never pruned unless the caller lowers it. */
export const DEFAULT_MIN_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export interface PruneOptions {
  /**
   * Retention floor: refuse (throw PruneRefusedError) when `before` is later than
   * now − minRetentionMs. Default DEFAULT_MIN_RETENTION_MS (30 days); 0 disables the
   * check entirely (callers such as the CLI refuse a future `before` themselves).
   */
  minRetentionMs?: number;
  /** Signs the prune attestation (the checkpoint signing key). Without it the prune is unattested. */
  signer?: CheckpointSigner | null;
  /** Extra, safe metadata for the `audit.pruned` record's details (e.g. `{ via: 'cli' }`). */
  details?: Record<string, unknown>;
  /** Clock (tests). */
  now?: number;
}

export interface PruneResult {
  /** Records removed. */
  deleted: number;
  /** The new anchor (last removed record), or null when nothing was removed. */
  anchor: ChainHead | null;
  /** Seq of the `audit.pruned` record that attests the prune. */
  recordSeq: number;
  /** The signed attestation stored in that record, or null when no signer was given (or nothing was removed). */
  attestation: PruneAttestation | null;
}

/** Thrown when a prune would cut into the retention floor. */
export class PruneRefusedError extends Error {
  override readonly name = 'PruneRefusedError';
}

/**
 * Removes the prefix of the chain before the first record whose time is not before `before`
 * (ms since epoch; all records when none is), in one transaction: stores the last removed record's {seq, hash} as
 * the anchor the remainder links to, then appends an `audit.pruned` record naming it, so
 * the remaining chain verifies and the prune itself is in the trail.
 *
 * With a signer, the record's details carry `attestation: {time, signature, keyId}`, an
 * Ed25519 signature over pruneAttestationMessage(throughSeq, anchorHash, time):
 * `verify --public-key` accepts a prune anchor only with such a signature, so someone
 * who can write the database but does not hold the key cannot prune undetectably.
 */
export function pruneBefore(db: AuditDb, before: number, opts: PruneOptions = {}): PruneResult {
  const now = opts.now ?? Date.now();
  const floor = opts.minRetentionMs ?? DEFAULT_MIN_RETENTION_MS;
  if (floor > 0 && before > now - floor) {
    throw new PruneRefusedError(
      `refusing to prune records younger than the retention floor (${Math.round(floor / 86_400_000)} day(s)): ` +
        `${new Date(before).toISOString()} is after ${new Date(now - floor).toISOString()}`,
    );
  }
  const signer = opts.signer ?? null;
  const tx = db.transaction((): PruneResult => {
    // Everything before the first record that is not older than `before`: record times need not
    // be ordered by seq (a skewed clock, a CLI on another host), and a newer record must never be
    // removed because an older-looking one was appended after it. When no record is that new,
    // everything goes.
    // In seq order from the oldest: the rows read are the ones about to be removed (no index on time here).
    const firstKept = (db.prepare('SELECT seq FROM audit_events WHERE time >= ? ORDER BY seq LIMIT 1').pluck().get(before) as number | undefined) ?? null;
    const lastSeq = db.prepare('SELECT MIN(seq) AS lo, MAX(seq) AS hi FROM audit_events').get() as { lo: number | null; hi: number | null };
    const candidate = firstKept === null ? lastSeq.hi : firstKept - 1;
    const through = candidate !== null && lastSeq.lo !== null && candidate >= lastSeq.lo ? candidate : null;
    let anchor: ChainHead | null = null;
    let deleted = 0;
    if (through !== null) {
      const hash = db.prepare('SELECT hash FROM audit_events WHERE seq = ?').pluck().get(through) as string;
      // The lookup loses the same prefix, so it still covers exactly the records up to its end.
      deleted = withDeletesAllowed(db, () => {
        const n = db.prepare('DELETE FROM audit_events WHERE seq <= ?').run(through).changes;
        db.prepare('DELETE FROM audit_lookup WHERE seq <= ?').run(through);
        return n;
      });
      db.prepare('INSERT OR REPLACE INTO audit_anchor (id, seq, hash, time) VALUES (1, ?, ?, ?)').run(through, hash, Date.now());
      anchor = { seq: through, hash };
    }
    const attestation = anchor && signer ? signPruneAttestation(anchor.seq, anchor.hash, signer) : null;
    const record = systemEvent('audit.pruned', {
      reason: deleted > 0 ? `pruned ${deleted} record(s) through seq ${through}` : 'nothing to prune',
      details: {
        ...opts.details,
        before,
        deleted,
        throughSeq: anchor?.seq ?? null,
        anchorHash: anchor?.hash ?? null,
        ...(attestation ? { attestation } : {}),
      },
    });
    const { firstSeq } = appendRows(db, [toRow(record)]);
    return { deleted, anchor, recordSeq: firstSeq, attestation };
  });
  return tx.immediate();
}

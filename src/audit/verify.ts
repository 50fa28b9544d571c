import type { KeyObject } from 'node:crypto';
import { GENESIS_HASH, fromDbRow, hashRow, misstoredColumn } from './chain.js';
import { checkpointSignatureValid, listCheckpoints, loadVerifyKey, type Checkpoint } from './checkpoint.js';
import { pruneAttestationValid } from './prune-attestation.js';
import type { ChainHead } from './append.js';
import { inReadTransaction, type AuditDb } from './db.js';
import { hasLookup, lookupMismatch } from './lookup.js';

export interface VerifyOptions {
  /** An exported checkpoint (kept elsewhere): detects a truncated tail or a rewritten chain. */
  checkpoint?: Checkpoint | null;
  /** Ed25519 public key (PEM): every signed stored checkpoint must verify with it. */
  publicKeyPem?: string | null;
}

export interface VerifyResult {
  ok: boolean;
  /** Records whose link and hash were checked and found good. */
  checked: number;
  /** Last seq present (the anchor's seq, or 0, when there are no records). */
  lastSeq: number;
  headHash: string;
  anchor: ChainHead | null;
  checkpointsChecked: number;
  /** The first broken record (or the seq where a missing tail should start) and why. */
  firstBad?: { seq: number; reason: string };
  /**
   * With a public key and a prune anchor: whether the `audit.pruned` record attesting the
   * anchor carries a valid signature by that key (verification fails when it does not).
   */
  anchorSigned?: boolean;
  /**
   * How the external checkpoint was established. `matched`: its seq is in the chain and
   * the hash agrees. `pruned-attested`: its seq lies at or below the prune anchor and the
   * anchor carries a valid signed prune attestation that covers it. `pruned-unverifiable`:
   * its seq lies at or below the anchor and nothing signed covers it (ok is false).
   */
  external?: { seq: number; status: 'matched' | 'pruned-attested' | 'pruned-unverifiable' };
  /** Observations that are not failures. */
  notes: string[];
  /**
   * The chain is intact, but the query lookup does not match the records (firstBad says
   * where): filtered queries would miss or misplace records. `warden audit reindex` rebuilds it.
   */
  lookupAltered?: boolean;
}

/**
 * Walks the chain in seq order from the anchor (or genesis), checking contiguity, each
 * value's storage class (chain.ts misstoredColumn), links and hashes, stored checkpoints
 * (hash and, with a key, signature), the prune anchor's attestation and, when given, an
 * external checkpoint; then the query lookup against the records (lookup.ts). Stops at the
 * first problem.
 * Every read runs in one read transaction (one snapshot), so a prune or append committed
 * by another process meanwhile cannot produce a false gap.
 *
 * With a public key, the newest stored checkpoint must carry a valid signature of that key:
 * unsigned checkpoints elsewhere (written by a gateway without a key) are only noted, but
 * an invalid signature anywhere is a failure.
 */
export function verifyChain(db: AuditDb, opts: VerifyOptions = {}): VerifyResult {
  return inReadTransaction(db, () => verifyChainIn(db, opts));
}

function verifyChainIn(db: AuditDb, opts: VerifyOptions): VerifyResult {
  const anchorRow = db.prepare<[], ChainHead>('SELECT seq, hash FROM audit_anchor WHERE id = 1').get();
  const anchor = anchorRow ? { seq: anchorRow.seq, hash: anchorRow.hash } : null;
  const publicKey: KeyObject | null = opts.publicKeyPem ? loadVerifyKey(opts.publicKeyPem) : null;
  const external = opts.checkpoint ?? null;
  const notes: string[] = [];
  const res: VerifyResult = { ok: true, checked: 0, lastSeq: anchor?.seq ?? 0, headHash: anchor?.hash ?? GENESIS_HASH, anchor, checkpointsChecked: 0, notes };
  const fail = (seq: number, reason: string): VerifyResult => {
    res.ok = false;
    res.firstBad = { seq, reason };
    return res;
  };

  const stored = listCheckpoints(db);
  const newest = stored[stored.length - 1];
  let lastSigned: number | null = null;
  let newestUnsigned = false;
  // Checks one stored checkpoint whose seq is now known to have hash `actual` (null: pruned away).
  const checkStored = (cp: Checkpoint, actual: string | null): string | null => {
    res.checkpointsChecked++;
    if (actual !== null && cp.hash !== actual) return `stored checkpoint at seq ${cp.seq} does not match the chain (chain rewritten after the checkpoint)`;
    if (publicKey) {
      if (cp.signature === null) {
        if (cp === newest) newestUnsigned = true; // a failure, reported after the walk
        else notes.push(`stored checkpoint at seq ${cp.seq} is unsigned`);
      } else if (!checkpointSignatureValid(cp, publicKey)) {
        return `stored checkpoint at seq ${cp.seq} has an invalid signature (chain or checkpoint rewritten, or another key)`;
      } else lastSigned = cp.seq;
    }
    return null;
  };

  let ci = 0;
  const base = anchor?.seq ?? 0;
  for (; ci < stored.length && (stored[ci] as Checkpoint).seq <= base; ci++) {
    const cp = stored[ci] as Checkpoint;
    const why = checkStored(cp, anchor && cp.seq === anchor.seq ? anchor.hash : null);
    if (why) return fail(cp.seq, why);
  }

  let expected = base + 1;
  let prev = anchor?.hash ?? GENESIS_HASH;
  let anchorAttested = anchor === null;
  // details.attestation of every audit.pruned record naming the anchor (checked against the key at the end).
  const attestations: unknown[] = [];
  const rows = db.prepare('SELECT * FROM audit_events ORDER BY seq').iterate() as IterableIterator<Record<string, unknown>>;
  for (const raw of rows) {
    const row = fromDbRow(raw);
    if (row.seq !== expected) {
      rows.return?.();
      return fail(
        row.seq,
        row.seq > expected
          ? `seq gap: expected ${expected}, found ${row.seq} (record(s) deleted)`
          : `record at seq ${row.seq} lies at or below the prune anchor (seq ${base})`,
      );
    }
    const misstored = misstoredColumn(raw);
    if (misstored) {
      rows.return?.();
      return fail(row.seq, `storage type changed: column ${misstored.column} holds a ${misstored.found} value, not ${misstored.expected} (same bytes, but a query filtering on it no longer finds the record)`);
    }
    if (row.prevHash !== prev) {
      rows.return?.();
      return fail(row.seq, 'prev_hash does not link to the previous record (record deleted, reordered or replaced)');
    }
    if (hashRow(prev, row.seq, row) !== row.hash) {
      rows.return?.();
      return fail(row.seq, 'hash mismatch: record content was modified');
    }
    if (anchor && row.channel === 'system' && row.action === 'audit.pruned' && row.details) {
      const d = safeParse(row.details);
      if (d.throughSeq === anchor.seq && d.anchorHash === anchor.hash) {
        anchorAttested = true;
        if (d.attestation !== undefined) attestations.push(d.attestation);
      }
    }
    for (; ci < stored.length && (stored[ci] as Checkpoint).seq === row.seq; ci++) {
      const why = checkStored(stored[ci] as Checkpoint, row.hash);
      if (why) {
        rows.return?.();
        return fail(row.seq, why);
      }
    }
    if (external && external.seq === row.seq && external.hash !== row.hash) {
      rows.return?.();
      return fail(row.seq, `hash differs from the external checkpoint at seq ${row.seq} (chain rewritten at or before this record)`);
    }
    prev = row.hash;
    expected++;
    res.checked++;
  }
  res.lastSeq = expected - 1;
  res.headHash = prev;

  const beyond = stored[ci];
  if (beyond) return fail(res.lastSeq + 1, `truncated: a stored checkpoint covers seq ${beyond.seq} but the chain ends at seq ${res.lastSeq}`);
  if (!anchorAttested && anchor) return fail(anchor.seq + 1, `prune anchor at seq ${anchor.seq} is not attested by an audit.pruned record`);
  if (publicKey && anchor) {
    res.anchorSigned = attestations.some((a) => pruneAttestationValid(anchor.seq, anchor.hash, a, publicKey));
    if (!res.anchorSigned) {
      return fail(anchor.seq + 1, `prune anchor at seq ${anchor.seq} is not attested by a valid signature of the given key (pruned without the signing key, or forged)`);
    }
  }

  if (newestUnsigned && newest) {
    const how = ' (signatures stripped, or written by a gateway without the key: run `warden audit checkpoint --signing-key` to sign the current head)';
    if (lastSigned === null) return fail(res.lastSeq, `no stored checkpoint is signed by the given key${how}`);
    return fail(newest.seq, `the newest stored checkpoint (seq ${newest.seq}) is unsigned; the last signed one is at seq ${lastSigned}${how}`);
  }

  if (external) {
    if (external.seq > res.lastSeq) {
      return fail(res.lastSeq + 1, `truncated tail: the checkpoint covers seq ${external.seq} but the chain ends at seq ${res.lastSeq}`);
    }
    if (anchor && external.seq === anchor.seq && external.hash !== anchor.hash) {
      return fail(external.seq, 'the prune anchor differs from the external checkpoint (chain rewritten)');
    }
    if (publicKey) {
      if (external.signature === null) notes.push('external checkpoint is unsigned');
      else if (!checkpointSignatureValid(external, publicKey)) return fail(external.seq, 'external checkpoint has an invalid signature');
    }
    if (anchor && external.seq > 0 && external.seq <= anchor.seq) {
      // The records the checkpoint covers are gone: matching the anchor's hash proves nothing
      // (anyone who read the checkpoint knows that hash). Only a signed prune covers it.
      if (res.anchorSigned === true) {
        res.external = { seq: external.seq, status: 'pruned-attested' };
        notes.push(`external checkpoint seq ${external.seq} lies at or below the prune anchor (seq ${anchor.seq}); the prune through seq ${anchor.seq} is attested by a valid signature, which covers it`);
      } else {
        res.external = { seq: external.seq, status: 'pruned-unverifiable' };
        return fail(
          external.seq,
          `unverifiable: the checkpoint's seq ${external.seq} lies at or below the prune anchor (seq ${anchor.seq}), so the records it covers were pruned; ` +
            'pass --public-key to check that the prune was signed',
        );
      }
    } else res.external = { seq: external.seq, status: 'matched' };
  }
  // Last, once the chain itself is sound: a lookup entry removed or altered hides records from filtered queries.
  if (!hasLookup(db)) {
    notes.push('the query lookup is not there yet (schema version 1): the next gateway start or writable CLI command adds it');
    return res;
  }
  const lookup = lookupMismatch(db, base);
  if (lookup) {
    res.lookupAltered = true;
    return fail(lookup.seq, lookup.reason);
  }
  return res;
}

function safeParse(text: string): Record<string, unknown> {
  try {
    const v = JSON.parse(text) as unknown;
    return v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

import { sign, verify, type KeyObject } from 'node:crypto';
import type { CheckpointSigner } from './checkpoint.js';

/**
 * The exact bytes signed to attest a prune: "records through `throughSeq`, the last of
 * them hashing to `anchorHash`, were removed by a holder of the key". A distinct prefix
 * from checkpointMessage, so a signed checkpoint can never be replayed as a prune
 * authorization (its seq and hash are public).
 */
export function pruneAttestationMessage(throughSeq: number, anchorHash: string, time: number): string {
  return `warden-audit-prune:v1:${throughSeq}:${anchorHash}:${time}`;
}

/** A signed prune attestation, stored in the `audit.pruned` record's details.attestation. */
export interface PruneAttestation {
  time: number;
  signature: string;
  keyId: string;
}

export function signPruneAttestation(throughSeq: number, anchorHash: string, signer: CheckpointSigner, time = Date.now()): PruneAttestation {
  const signature = sign(null, Buffer.from(pruneAttestationMessage(throughSeq, anchorHash, time)), signer.key).toString('base64');
  return { time, signature, keyId: signer.keyId };
}

/** True when `att` (untrusted, from a record's details) is a valid signature by `publicKey` over this anchor. */
export function pruneAttestationValid(throughSeq: number, anchorHash: string, att: unknown, publicKey: KeyObject): boolean {
  const a = att as Partial<PruneAttestation> | null;
  if (a === null || typeof a !== 'object' || typeof a.time !== 'number' || typeof a.signature !== 'string') return false;
  try {
    return verify(null, Buffer.from(pruneAttestationMessage(throughSeq, anchorHash, a.time)), publicKey, Buffer.from(a.signature, 'base64'));
  } catch {
    return false;
  }
}

import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { readHead } from './append.js';
import { openAuditDb, type AuditDb } from './db.js';
import { writeHeadMarker } from './head-marker.js';

/** A signed (or unsigned) statement "the chain had this head at this time". */
export interface Checkpoint {
  seq: number;
  hash: string;
  /** Milliseconds since the epoch. */
  time: number;
  /** Base64 Ed25519 signature over checkpointMessage(), or null when no key is configured. */
  signature: string | null;
  /** Fingerprint of the signing key's public half. */
  keyId: string | null;
}

/** JSON form written to the checkpoint file and printed by `warden audit checkpoint`. */
export interface CheckpointJson extends Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
}

export const CHECKPOINT_FORMAT = 'warden-audit-checkpoint/v1';

/** A loaded Ed25519 private key and its public fingerprint. Never serialize it. */
export interface CheckpointSigner {
  readonly key: KeyObject;
  readonly keyId: string;
}

/** The exact bytes that are signed. */
export function checkpointMessage(seq: number, hash: string, time: number): string {
  return `warden-audit-checkpoint:v1:${seq}:${hash}:${time}`;
}

/** sha256 of the public key's SPKI DER, truncated to 128 bits. */
export function keyFingerprint(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ type: 'spki', format: 'der' });
  return 'ed25519:' + createHash('sha256').update(der).digest('hex').slice(0, 32);
}

/** Parses a PKCS8 PEM Ed25519 private key. Errors never echo the key material. */
export function loadSigningKey(pem: string): CheckpointSigner {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('audit checkpoint signing key is not a valid PEM private key');
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new Error(`audit checkpoint signing key must be Ed25519 (got ${key.asymmetricKeyType ?? 'unknown'})`);
  }
  return { key, keyId: keyFingerprint(key) };
}

/** Accepts a public key PEM (SPKI) or a private key PEM (its public half is used). */
export function loadVerifyKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new Error('not a valid PEM public key');
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('checkpoint public key must be Ed25519');
  return key;
}

export function signCheckpoint(seq: number, hash: string, time: number, signer: CheckpointSigner): string {
  return sign(null, Buffer.from(checkpointMessage(seq, hash, time)), signer.key).toString('base64');
}

/** True when the checkpoint carries a valid signature by `publicKey`. */
export function checkpointSignatureValid(cp: Checkpoint, publicKey: KeyObject): boolean {
  if (cp.signature === null) return false;
  try {
    return verify(null, Buffer.from(checkpointMessage(cp.seq, cp.hash, cp.time)), publicKey, Buffer.from(cp.signature, 'base64'));
  } catch {
    return false;
  }
}

interface CheckpointDbRow {
  seq: number;
  hash: string;
  time: number;
  signature: string | null;
  key_id: string | null;
}

function fromDb(r: CheckpointDbRow): Checkpoint {
  return { seq: r.seq, hash: r.hash, time: r.time, signature: r.signature, keyId: r.key_id };
}

/** The most recent stored checkpoint, or null. */
export function latestCheckpoint(db: AuditDb): Checkpoint | null {
  const r = db.prepare<[], CheckpointDbRow>('SELECT * FROM audit_checkpoints ORDER BY id DESC LIMIT 1').get();
  return r ? fromDb(r) : null;
}

/** All stored checkpoints in seq order. */
export function listCheckpoints(db: AuditDb): Checkpoint[] {
  return db.prepare<[], CheckpointDbRow>('SELECT * FROM audit_checkpoints ORDER BY seq, id').all().map(fromDb);
}

export interface WriteCheckpointOptions {
  signer?: CheckpointSigner | null;
  /** Also append the checkpoint as a JSON line to this file (fsynced). */
  file?: string | null;
  /** Also rewrite the head marker `<db>.head` beside the database file (default true). */
  headMarker?: boolean;
  /**
   * Runs first inside the write transaction, once the lock is held; throwing aborts the
   * checkpoint (the writer checks the database file's identity here).
   */
  check?: () => void;
}

export interface WriteCheckpointResult {
  checkpoint: Checkpoint;
  /** Set when the DB row was written but the external file could not be. */
  fileError?: string;
  /** Set when the DB row was written but the head marker could not be. */
  markerError?: string;
}

/** True when `cp` carries a valid signature by `signer`'s key. */
export function signedBy(cp: Checkpoint, signer: CheckpointSigner): boolean {
  return cp.signature !== null && cp.keyId === signer.keyId && checkpointSignatureValid(cp, createPublicKey(signer.key));
}

/**
 * Records a checkpoint of the current head when records exist beyond the last checkpoint,
 * or, given a signer, when the last checkpoint is at the head but is not validly signed by
 * that signer (unsigned, or signed by another key): asking for a signed checkpoint always
 * yields one. Head read, signature and insert share one BEGIN IMMEDIATE transaction so a
 * concurrent writer cannot slip a record between them. Returns null when nothing was written.
 */
export function writeCheckpoint(db: AuditDb, opts: WriteCheckpointOptions = {}): WriteCheckpointResult | null {
  const insert = db.prepare('INSERT INTO audit_checkpoints (seq, hash, time, signature, key_id) VALUES (?, ?, ?, ?, ?)');
  const signer = opts.signer ?? null;
  const tx = db.transaction((): Checkpoint | null => {
    opts.check?.();
    const head = readHead(db);
    const last = latestCheckpoint(db);
    if (head.seq === 0) return null;
    if (last !== null && last.seq > head.seq) return null; // never paper over a shortened chain
    if (last !== null && last.seq === head.seq && (signer === null || signedBy(last, signer))) return null;
    const time = Date.now();
    const cp: Checkpoint = {
      seq: head.seq,
      hash: head.hash,
      time,
      signature: signer ? signCheckpoint(head.seq, head.hash, time, signer) : null,
      keyId: signer ? signer.keyId : null,
    };
    insert.run(cp.seq, cp.hash, cp.time, cp.signature, cp.keyId);
    return cp;
  });
  const checkpoint = tx.immediate();
  if (checkpoint === null) return null;
  const result: WriteCheckpointResult = { checkpoint };
  if (opts.file) {
    try {
      appendLine(opts.file, JSON.stringify(toCheckpointJson(checkpoint)) + '\n');
    } catch (err) {
      result.fileError = (err as NodeJS.ErrnoException).code ?? String(err);
    }
  }
  if (opts.headMarker !== false && db.name !== '' && db.name !== ':memory:') {
    try {
      writeHeadMarker(db.name, { seq: checkpoint.seq, hash: checkpoint.hash, time: checkpoint.time });
    } catch (err) {
      result.markerError = (err as NodeJS.ErrnoException).code ?? String(err);
    }
  }
  return result;
}

function appendLine(file: string, line: string): void {
  const fd = openSync(file, 'a', 0o644);
  try {
    writeSync(fd, line);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function toCheckpointJson(cp: Checkpoint): CheckpointJson {
  return { format: CHECKPOINT_FORMAT, seq: cp.seq, hash: cp.hash, time: cp.time, signature: cp.signature, keyId: cp.keyId };
}

/** Latest checkpoint of the database at `dbPath` (opened read-only), or null. */
export function exportCheckpoint(dbPath: string): CheckpointJson | null {
  const db = openAuditDb(dbPath, { readonly: true });
  try {
    const cp = latestCheckpoint(db);
    return cp ? toCheckpointJson(cp) : null;
  } finally {
    db.close();
  }
}

/**
 * Parses a checkpoint JSON document, or the last line of a checkpoint JSONL file.
 * Throws with a short reason when the shape is wrong.
 */
export function parseCheckpoint(text: string): Checkpoint {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    // A JSONL checkpoint file: the last line is the latest checkpoint.
    const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
    try {
      v = JSON.parse(lines[lines.length - 1] ?? '');
    } catch {
      throw new Error('checkpoint is not valid JSON (or JSON lines)');
    }
  }
  const o = (v ?? {}) as Record<string, unknown>;
  const ok =
    Number.isSafeInteger(o.seq) &&
    (o.seq as number) >= 0 &&
    typeof o.hash === 'string' &&
    /^[0-9a-f]{64}$/.test(o.hash) &&
    typeof o.time === 'number' &&
    (o.signature === undefined || o.signature === null || typeof o.signature === 'string') &&
    (o.keyId === undefined || o.keyId === null || typeof o.keyId === 'string');
  if (!ok) throw new Error('checkpoint must have integer seq, 64-hex hash and numeric time');
  return {
    seq: o.seq as number,
    hash: o.hash as string,
    time: o.time as number,
    signature: (o.signature as string | null | undefined) ?? null,
    keyId: (o.keyId as string | null | undefined) ?? null,
  };
}

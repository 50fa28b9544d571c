import type { Durability } from './db.js';
import type { AuditSink } from './record.js';

/** Minimal logger shape (a pino Logger fits). */
export interface AuditLog {
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options of the worker-backed sink; defaults match the `audit` config section. */
export interface AuditSinkOptions {
  /** Usually `<dataDir>/audit.db`. */
  dbPath: string;
  durability?: Durability;
  /** Most records in one group commit (default 512). */
  maxBatch?: number;
  /** How long append() waits for its commit before rejecting AUDIT_UNAVAILABLE (default 5000). */
  commitWaitMs?: number;
  busyTimeoutMs?: number;
  /** Records queued for commit before new appends are refused (default 100 000). */
  maxPending?: number;
  /** At durability normal, how often the WAL is synced in the background while records are committed (default 100 ms; 0: never). */
  walSyncMs?: number;
  checkpoint?: {
    everyRecords?: number;
    everySeconds?: number;
    /** JSONL file each checkpoint is also appended to (keep it off the database host). */
    file?: string | null;
    /** Ed25519 PKCS8 PEM, already resolved from its SecretRef by the caller. */
    signingKeyPem?: string | null;
  };
  /** Interval of the deleted/replaced-file check (default 1000 ms). */
  identityCheckMs?: number;
  log?: AuditLog;
  /** Replaces the writer thread's script (fault-injection tests only). */
  writerUrl?: URL;
  /**
   * Called when the store starts or stops being able to commit (storage fault, dead writer,
   * full queue), e.g. to alert. Not called for close(): healthy() turns false while closing,
   * but that is a shutdown, not a fault (see createAuditSink).
   */
  onHealthChange?: (healthy: boolean, problem: string | null) => void;
}

/** Counters for metrics and tests. */
export interface AuditSinkStats {
  committed: number;
  /** Transactions the records were committed in (group commits). */
  groups: number;
  lastSeq: number;
  /** Appended, not yet reported committed by the writer (includes timed-out ones). */
  queued: number;
  /** append() promises still waiting. */
  waiting: number;
  refused: number;
  timedOut: number;
}

/** The sink the gateway holds; `close` takes an optional drain deadline. */
export interface WorkerAuditSink extends AuditSink {
  stats(): AuditSinkStats;
  close(opts?: { deadlineMs?: number }): Promise<void>;
}

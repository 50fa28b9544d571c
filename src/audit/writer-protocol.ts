import type { ChainHead } from './append.js';
import type { Durability } from './db.js';
import type { RowValues } from './row-values.js';

/** workerData of the writer thread. */
export interface WriterInit {
  dbPath: string;
  durability: Durability;
  maxBatch: number;
  busyTimeoutMs: number;
  /** Background WAL sync interval at durability normal (wal-sync.ts); 0: none. */
  walSyncMs: number;
  /** How often the open file's dev/inode is compared with the path's. */
  identityCheckMs: number;
  checkpoint: {
    everyRecords: number;
    everySeconds: number;
    file: string | null;
    /** PKCS8 PEM; lives only in memory of the two threads. */
    signingKeyPem: string | null;
  };
}

/**
 * Main → writer, with every request: the appends made in one tick, as a tuple (an array is
 * cloned faster than an object with named keys). `rows[k]` is the record of `ids[k]`,
 * normalized (safeRow) on the gateway's thread. `deadline` (monotonicNow() ms, see clock.ts)
 * is the earliest of their commit deadlines; `refused` counts appends refused meanwhile (an
 * audit.gap record).
 */
export type AppendMsg = [ids: number[], rows: RowValues[], deadline: number, refused: number];

/** Main → writer. */
export type ToWriter =
  | AppendMsg
  /** These appends were answered AUDIT_UNAVAILABLE: amend them, or record a correction if already committed. */
  | { type: 'amend'; ids: number[]; requestIds: string[] }
  /** Drain (commit what is queued) until `deadline` (monotonicNow() ms), then report 'drained'. */
  | { type: 'close'; deadline: number }
  /**
   * Sent after 'drained', once the sink has handled every message before it and sent every
   * pending amend: apply those amends (or write audit.amend records), then close.
   */
  | { type: 'finish' };

/**
 * Writer → main, with every commit, as a tuple like AppendMsg: ids[k] got seq firstSeq + k (0 = a
 * record the writer added itself); `amended` were committed amended to 503.
 */
export type CommittedMsg = [ids: number[], firstSeq: number, amended: number[]];

/** Writer → main. */
export type FromWriter =
  | CommittedMsg
  | { type: 'ready'; head: ChainHead }
  | { type: 'failed'; message: string }
  | { type: 'health'; healthy: boolean; problem: string | null; permanent: boolean }
  | { type: 'warn'; message: string }
  /** Closing: the queue is drained (or the deadline passed); waits for 'finish'. */
  | { type: 'drained' }
  | { type: 'closed'; unwritten: number };

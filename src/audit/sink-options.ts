import type { WardenConfig } from '../config/schema.js';
import type { AuditSinkOptions } from './sink.js';

/**
 * Maps the validated `audit` config section to sink options. The caller resolves
 * `checkpoint.signingKey` (a SecretRef) first and passes the PEM text.
 */
export function auditSinkOptions(
  audit: WardenConfig['audit'],
  extra: Pick<AuditSinkOptions, 'dbPath' | 'log' | 'onHealthChange'> & { signingKeyPem?: string | null; checkpointFile?: string | null },
): AuditSinkOptions {
  return {
    dbPath: extra.dbPath,
    durability: audit.durability,
    maxBatch: audit.maxBatch,
    commitWaitMs: audit.commitWaitMs,
    busyTimeoutMs: audit.busyTimeoutMs,
    maxPending: audit.maxPending,
    walSyncMs: audit.walSyncMs,
    checkpoint: {
      everyRecords: audit.checkpoint.everyRecords,
      everySeconds: audit.checkpoint.everySeconds,
      file: extra.checkpointFile ?? audit.checkpoint.file ?? null,
      signingKeyPem: extra.signingKeyPem ?? null,
    },
    ...(extra.log ? { log: extra.log } : {}),
    ...(extra.onHealthChange ? { onHealthChange: extra.onHealthChange } : {}),
  };
}

/** Public API of the audit trail. The gateway uses createAuditSink; the CLI uses direct.ts. */
export * from './record.js';
export * from './direct.js';
export { createAuditSink, type AuditSinkOptions, type AuditSinkStats, type WorkerAuditSink, type AuditLog } from './sink.js';
export { auditSinkOptions } from './sink-options.js';
export { queryAuditOffThread, parseAdminQuery, MAX_ADMIN_LIMIT, DEFAULT_ADMIN_LIMIT, ADMIN_QUERY_PARAMS } from './admin-query.js';
export { loadSigningKey, loadVerifyKey, keyFingerprint, checkpointMessage, checkpointSignatureValid, toCheckpointJson, CHECKPOINT_FORMAT, type CheckpointSigner } from './checkpoint.js';
export { pruneAttestationMessage, pruneAttestationValid, type PruneAttestation } from './prune-attestation.js';
export { canonicalJson } from '../util/canonical-json.js';
export { GENESIS_HASH, hashRow, contentString, toRow, type AuditRow, type StoredRow } from './chain.js';

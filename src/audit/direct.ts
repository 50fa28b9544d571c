/**
 * Synchronous access to an audit database for the CLI and tests. Safe to use while a
 * gateway's writer runs on the same file: writes go through the same BEGIN IMMEDIATE
 * append path, reads use WAL snapshots.
 */
export { openAuditDb, type AuditDb, type Durability, type OpenAuditDbOptions } from './db.js';
export { appendDirect, readHead, systemEvent, type ChainHead } from './append.js';
export { verifyChain, type VerifyOptions, type VerifyResult } from './verify.js';
export { queryAudit, newestFirstUnlessPaging, MAX_QUERY_LIMIT, type AuditQuery, type AuditOrder } from './query.js';
export { pruneBefore, PruneRefusedError, DEFAULT_MIN_RETENTION_MS, type PruneOptions, type PruneResult } from './prune.js';
export { exportRecords, exportRows, csvHeader, csvLine, jsonLine, CSV_COLUMNS } from './export.js';
export { exportCheckpoint, latestCheckpoint, listCheckpoints, parseCheckpoint, writeCheckpoint, signedBy, type Checkpoint, type CheckpointJson } from './checkpoint.js';
export { checkContinuity, type ContinuityCheck } from './continuity.js';
export { headMarkerPath, readHeadMarker, type HeadMarker } from './head-marker.js';
export { migrate, schemaVersion, MIGRATIONS } from './migrations.js';
export { fillLookup, lookupThrough, rebuildLookup } from './lookup.js';

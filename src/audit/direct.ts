/**
 * Synchronous access to an audit database for the CLI and tests. Safe to use while a
 * gateway's writer runs on the same file: writes go through the same BEGIN IMMEDIATE
 * append path, reads use WAL snapshots.
 */
export { openAuditDb, type AuditDb, type Durability, type OpenAuditDbOptions } from './db.js';
export { appendDirect, readHead, systemEvent, type ChainHead } from './append.js';
export { verifyChain, type VerifyOptions, type VerifyResult } from './verify.js';
export { queryAudit, type AuditQuery } from './query.js';
export { pruneBefore, type PruneResult } from './prune.js';
export { exportRecords, exportRows, csvHeader, csvLine, jsonLine, CSV_COLUMNS } from './export.js';
export { exportCheckpoint, latestCheckpoint, listCheckpoints, parseCheckpoint, writeCheckpoint, type Checkpoint, type CheckpointJson } from './checkpoint.js';
export { migrate, schemaVersion, MIGRATIONS } from './migrations.js';

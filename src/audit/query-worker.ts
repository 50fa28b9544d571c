/**
 * One admin audit query in its own thread (see queryAuditOffThread): opens the database
 * read-only, runs the already validated query, posts the records and exits.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openAuditDb } from './db.js';
import { queryAudit, type AuditQuery } from './query.js';
import type { AuditRecord } from './record.js';

export interface QueryWorkerData {
  dbPath: string;
  query: AuditQuery;
}

export type QueryWorkerReply = { ok: true; records: AuditRecord[] } | { ok: false; message: string };

function run(data: QueryWorkerData): QueryWorkerReply {
  try {
    const db = openAuditDb(data.dbPath, { readonly: true });
    try {
      return { ok: true, records: queryAudit(db, data.query) };
    } finally {
      db.close();
    }
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

if (parentPort) parentPort.postMessage(run(workerData as QueryWorkerData));

import { createWriteStream, fstatSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  appendDirect,
  checkContinuity,
  csvHeader,
  csvLine,
  DEFAULT_MIN_RETENTION_MS,
  exportRows,
  jsonLine,
  latestCheckpoint,
  MAX_QUERY_LIMIT,
  newestFirstUnlessPaging,
  openAuditDb,
  parseCheckpoint,
  pruneBefore,
  queryAudit,
  rebuildLookup,
  systemEvent,
  verifyChain,
  writeCheckpoint,
  type AuditDb,
  type AuditQuery,
} from '../audit/direct.js';
import { loadSigningKey, toCheckpointJson, type CheckpointSigner } from '../audit/checkpoint.js';
import { CHANNELS, DECISIONS, type AuditRecord } from '../audit/record.js';
import type { WardenConfig } from '../config/schema.js';
import { resolveSecretRef } from '../config/secret-ref.js';
import { openOutputFile, parseTime, printTable, streamWriter, UsageError, writeOutputFile, type StreamWriter } from './common.js';

/** What `warden audit` needs from the CLI around it. */
export interface AuditCommandContext {
  /** `<dataDir>/audit.db` */
  dbPath: string;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  durability: 'normal' | 'full';
  /** Optional: lets `checkpoint` sign with the configured key and append to the configured file. */
  config?: { audit: WardenConfig['audit']; baseDir?: string };
}

const RETENTION_DAYS = Math.round(DEFAULT_MIN_RETENTION_MS / 86_400_000);

const USAGE = `usage: warden audit <verb> [options]
  verify [--checkpoint file.json] [--public-key pem-file] [--json]
      check the hash chain; exit 0 when intact, 1 at the first broken (or unverifiable) point
  query [--agent A] [--channel C] [--decision D] [--target T] [--since T] [--until T]
        [--trace-id X] [--after-seq N | --before-seq N] [--limit N] [--json]
      newest first; with --after-seq, oldest first from that cursor (--after-seq 0: from the start);
      --limit 1..${MAX_QUERY_LIMIT} (default 100)
  export [--format jsonl|csv] [--out file] [--after-seq N]
  prune --before T [--force] [--signing-key pem-file]
      delete records older than T (the prune is itself audited and signed; the rest still
      verifies); T must be at least ${RETENTION_DAYS} days ago unless --force
  checkpoint [--out file] [--signing-key pem-file]
      print the latest checkpoint, writing one first if records exist after it (or if it
      is not signed by the given key)
  reindex
      rebuild the query lookup (what filtered queries read) from the records, after verify
      found it altered (the rebuild is itself audited)
Times T: ISO 8601 with Z or ±hh:mm (2024-05-01T12:00:00Z), a date YYYY-MM-DD (midnight UTC),
or epoch milliseconds (digits only).
`;

/**
 * `warden audit <verb> ...`. Returns the exit code: 0 ok, 1 failure (broken chain, no
 * database...), 2 usage error. Works whether or not a gateway is writing the same file.
 */
export async function auditCommand(argv: string[], ctx: AuditCommandContext): Promise<number> {
  const [verb, ...rest] = argv;
  try {
    switch (verb) {
      case 'verify':
        return verify(rest, ctx);
      case 'query':
        return query(rest, ctx);
      case 'export':
        return await exportVerb(rest, ctx);
      case 'prune':
        return await prune(rest, ctx);
      case 'checkpoint':
        return await checkpoint(rest, ctx);
      case 'reindex':
        return reindex(rest, ctx);
      case 'help':
      case '--help':
      case '-h':
        ctx.out.write(USAGE);
        return 0;
      default:
        throw new UsageError(verb === undefined ? 'missing verb' : `unknown verb: ${verb}`);
    }
  } catch (err) {
    if (err instanceof UsageError) {
      ctx.err.write(`warden audit: ${err.message}\n${USAGE}`);
      return 2;
    }
    ctx.err.write(`warden audit: ${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, allowPositionals: false, strict: true }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function parseInteger(value: string, flag: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new UsageError(`${flag}: not a non-negative integer: ${value}`);
  const n = Number(value);
  if (n < min || n > max) throw new UsageError(`${flag} must be ${min}..${max} (got ${value})`);
  return n;
}

function oneOf<T extends string>(value: string, allowed: readonly T[], flag: string): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`${flag} must be one of ${allowed.join(', ')} (got ${value})`);
  return value as T;
}

function open(ctx: AuditCommandContext, readonly: boolean): AuditDb {
  if (!existsSync(ctx.dbPath)) throw new Error(`no audit database at ${ctx.dbPath}`);
  return openAuditDb(ctx.dbPath, { readonly, durability: ctx.durability, busyTimeoutMs: ctx.config?.audit.busyTimeoutMs ?? 5000 });
}

function withDb<T>(ctx: AuditCommandContext, readonly: boolean, fn: (db: AuditDb) => T): T {
  const db = open(ctx, readonly);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

function verify(args: string[], ctx: AuditCommandContext): number {
  const v = parse(args, { checkpoint: { type: 'string' }, 'public-key': { type: 'string' }, json: { type: 'boolean' } });
  const cp = v.checkpoint ? parseCheckpoint(readFileSync(v.checkpoint, 'utf8')) : null;
  const publicKeyPem = v['public-key'] ? readFileSync(v['public-key'], 'utf8') : null;
  const r = withDb(ctx, true, (db) => verifyChain(db, { checkpoint: cp, publicKeyPem }));
  if (v.json) ctx.out.write(JSON.stringify(r) + '\n');
  else if (r.ok) {
    const from = (r.anchor?.seq ?? 0) + 1;
    ctx.out.write(`ok: ${r.checked} record(s) verified (seq ${r.checked ? `${from}..${r.lastSeq}` : 'none'}), head ${r.headHash}\n`);
    let against = '';
    if (r.external?.status === 'matched') against = `; matches checkpoint at seq ${r.external.seq}`;
    else if (r.external?.status === 'pruned-attested') {
      against = `; checkpoint at seq ${r.external.seq} was pruned, covered by the signed prune through seq ${r.anchor?.seq}`;
    }
    ctx.out.write(`   ${r.checkpointsChecked} stored checkpoint(s) checked${against}\n`);
    if (r.anchorSigned) ctx.out.write(`   prune anchor at seq ${r.anchor?.seq} is attested by a valid signature\n`);
    for (const n of r.notes) ctx.out.write(`   note: ${n}\n`);
  } else if (r.external?.status === 'pruned-unverifiable') {
    ctx.out.write(`UNVERIFIABLE: ${r.firstBad?.reason.replace(/^unverifiable: /, '')}\n`);
    ctx.out.write(`   the remaining chain is intact (${r.checked} record(s) verified), but it cannot show that the checkpoint's records were pruned legitimately\n`);
  } else if (r.lookupAltered) {
    ctx.out.write(`BROKEN at seq ${r.firstBad?.seq}: ${r.firstBad?.reason}\n`);
    ctx.out.write(`   the hash chain itself is intact (${r.checked} record(s) verified); once you know who altered the lookup, \`warden audit reindex\` rebuilds it\n`);
  } else {
    ctx.out.write(`BROKEN at seq ${r.firstBad?.seq}: ${r.firstBad?.reason}\n   ${r.checked} record(s) verified before it\n`);
  }
  return r.ok ? 0 : 1;
}

function query(args: string[], ctx: AuditCommandContext): number {
  const v = parse(args, {
    agent: { type: 'string' },
    channel: { type: 'string' },
    decision: { type: 'string' },
    target: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    'trace-id': { type: 'string' },
    'after-seq': { type: 'string' },
    'before-seq': { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  const q: AuditQuery = {};
  if (v.agent !== undefined) q.agent = v.agent;
  if (v.channel !== undefined) q.channel = oneOf(v.channel, CHANNELS, '--channel');
  if (v.decision !== undefined) q.decision = oneOf(v.decision, DECISIONS, '--decision');
  if (v.target !== undefined) q.target = v.target;
  if (v['trace-id'] !== undefined) q.traceId = v['trace-id'];
  if (v.since !== undefined) q.since = parseTime(v.since, '--since');
  if (v.until !== undefined) q.until = parseTime(v.until, '--until');
  if (v['after-seq'] !== undefined) q.afterSeq = parseInteger(v['after-seq'], '--after-seq');
  if (v['before-seq'] !== undefined) q.beforeSeq = parseInteger(v['before-seq'], '--before-seq');
  if (q.afterSeq !== undefined && q.beforeSeq !== undefined) throw new UsageError('give --after-seq or --before-seq, not both');
  // queryAudit would quietly read 0 as 1 and cap a larger limit: say so instead, as the admin API does.
  if (v.limit !== undefined) q.limit = parseInteger(v.limit, '--limit', 1, MAX_QUERY_LIMIT);
  q.order = newestFirstUnlessPaging(q);
  const records = withDb(ctx, true, (db) => queryAudit(db, q));
  if (v.json) for (const r of records) ctx.out.write(JSON.stringify(r) + '\n');
  else printRecords(ctx.out, records);
  return 0;
}

const COLUMNS = ['seq', 'time', 'channel', 'agent', 'action', 'target', 'decision', 'status', 'code', 'reason'];
const MAX_WIDTH = Object.fromEntries(COLUMNS.map((c) => [c, c === 'reason' ? 60 : 40]));

// printTable neutralizes control and bidi characters: audit fields are attacker-influenced.
function printRecords(out: NodeJS.WritableStream, records: AuditRecord[]): void {
  const rows = records.map((r) => ({ ...r, time: isoTime(r.time), agent: r.agentId }));
  printTable(out, rows, COLUMNS, { maxWidth: MAX_WIDTH });
  out.write(`(${records.length} record(s))\n`);
}

// A tampered row's time may be no time at all (query shows it marked: chain.ts shownRow).
function isoTime(time: unknown): string {
  const d = typeof time === 'number' ? new Date(time) : null;
  return d && Number.isFinite(d.getTime()) ? d.toISOString() : String(time);
}

async function exportVerb(args: string[], ctx: AuditCommandContext): Promise<number> {
  const v = parse(args, { format: { type: 'string' }, out: { type: 'string' }, 'after-seq': { type: 'string' } });
  const format = v.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, not ${format}`);
  const afterSeq = v['after-seq'] !== undefined ? parseInteger(v['after-seq'], '--after-seq') : 0;
  const db = open(ctx, true);
  let dest: StreamWriter;
  // Only a regular file this command opened may be removed after a failure (never a FIFO or a device).
  let removable = false;
  try {
    // Opened synchronously first: a bad path fails at once, before anything is read.
    if (v.out) {
      const fd = openOutputFile(v.out, 0o600);
      removable = fstatSync(fd).isFile();
      dest = streamWriter(createWriteStream(v.out, { fd }), `export to ${v.out} failed`);
    } else dest = streamWriter(ctx.out, 'export to standard output failed');
  } catch (err) {
    db.close();
    throw err;
  }
  let count = 0;
  try {
    if (format === 'csv') await dest.write(csvHeader());
    for (const row of exportRows(db, afterSeq)) {
      await dest.write(format === 'csv' ? csvLine(row) : jsonLine(row));
      count++;
    }
    if (v.out) await dest.end();
  } catch (err) {
    if (v.out && removable) {
      rmSync(v.out, { force: true }); // never leave a partial export that looks complete
      throw new Error(`${(err as Error).message}; the incomplete file was removed`);
    }
    throw err;
  } finally {
    dest.release();
    db.close();
  }
  if (v.out) ctx.err.write(`exported ${count} record(s) to ${v.out}\n`);
  return 0;
}

async function prune(args: string[], ctx: AuditCommandContext): Promise<number> {
  const v = parse(args, { before: { type: 'string' }, force: { type: 'boolean' }, 'signing-key': { type: 'string' } });
  if (v.before === undefined) throw new UsageError('prune needs --before');
  const before = parseTime(v.before, '--before');
  const now = Date.now();
  if (before > now) throw new UsageError('--before lies in the future');
  const floor = now - DEFAULT_MIN_RETENTION_MS;
  if (before > floor && !v.force) {
    throw new UsageError(
      `--before ${new Date(before).toISOString()} is inside the ${RETENTION_DAYS}-day retention floor ` +
        `(the latest allowed is ${new Date(floor).toISOString()}); add --force to prune newer records`,
    );
  }
  const signer = await cliSigner(v['signing-key'], ctx);
  if (signer === null) {
    ctx.err.write('warning: no signing key: this prune is not signed, so `verify --public-key` will reject its anchor\n');
  }
  const r = withDb(ctx, false, (db) =>
    pruneBefore(db, before, { now, minRetentionMs: v.force ? 0 : DEFAULT_MIN_RETENTION_MS, signer, details: { via: 'cli', forced: v.force === true } }),
  );
  ctx.out.write(
    r.deleted > 0
      ? `pruned ${r.deleted} record(s) through seq ${r.anchor?.seq}; recorded as seq ${r.recordSeq}${r.attestation ? `, signed by ${r.attestation.keyId}` : ''}\n`
      : `nothing older than ${new Date(before).toISOString()}; recorded as seq ${r.recordSeq}\n`,
  );
  return 0;
}

function reindex(args: string[], ctx: AuditCommandContext): number {
  parse(args, {});
  const r = withDb(ctx, false, (db) =>
    db.transaction(() => {
      const counts = rebuildLookup(db);
      const [seq] = appendDirect(db, [systemEvent('audit.reindexed', { reason: `query lookup rebuilt from ${counts.indexed} record(s)`, details: { ...counts, via: 'cli' } })]);
      return { ...counts, seq };
    }).immediate(),
  );
  ctx.out.write(`query lookup rebuilt: ${r.indexed} record(s) indexed, ${r.removed} old entries replaced; recorded as seq ${r.seq}\n`);
  return 0;
}

async function checkpoint(args: string[], ctx: AuditCommandContext): Promise<number> {
  const v = parse(args, { out: { type: 'string' }, 'signing-key': { type: 'string' } });
  const signer = await cliSigner(v['signing-key'], ctx);
  const file = ctx.config?.audit.checkpoint.file ?? null;
  const cp = withDb(ctx, false, (db) => {
    // Before the head marker is rewritten: a database that no longer reaches it says so first.
    const continuity = checkContinuity(db, { dbPath: ctx.dbPath, checkpointFile: file });
    for (const w of continuity.warnings) ctx.err.write(`warning: ${w}\n`);
    if (continuity.record) {
      const [seq] = appendDirect(db, [{ ...continuity.record, details: { ...continuity.record.details, via: 'cli' } }]);
      ctx.err.write(`warning: ${continuity.record.reason}; recorded as seq ${seq}\n`);
    }
    const written = writeCheckpoint(db, { signer, file });
    if (written?.fileError) ctx.err.write(`warning: checkpoint not appended to ${file} (${written.fileError})\n`);
    if (written?.markerError) ctx.err.write(`warning: head marker not written (${written.markerError})\n`);
    return latestCheckpoint(db);
  });
  if (cp === null) {
    ctx.err.write('warden audit: no records yet, so no checkpoint\n');
    return 1;
  }
  const json = JSON.stringify(toCheckpointJson(cp), null, 2) + '\n';
  if (v.out) {
    writeOutputFile(v.out, json, 0o644);
    ctx.err.write(`checkpoint at seq ${cp.seq} written to ${v.out}\n`);
  } else ctx.out.write(json);
  return 0;
}

// An explicit --signing-key wins; else the configured key. Signing configured but unusable is an error.
async function cliSigner(file: string | undefined, ctx: AuditCommandContext): Promise<CheckpointSigner | null> {
  if (file) return loadSigningKey(readFileSync(file, 'utf8'));
  const ref = ctx.config?.audit.checkpoint.signingKey;
  if (!ref) return null;
  const r = await resolveSecretRef(ref, ctx.config?.baseDir ?? process.cwd());
  if (!r.ok) throw new Error(`audit.checkpoint.signingKey: ${r.message}`);
  return loadSigningKey(r.secret.reveal());
}

import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import {
  csvHeader,
  csvLine,
  exportRows,
  jsonLine,
  latestCheckpoint,
  openAuditDb,
  parseCheckpoint,
  pruneBefore,
  queryAudit,
  verifyChain,
  writeCheckpoint,
  type AuditDb,
  type AuditQuery,
} from '../audit/direct.js';
import { loadSigningKey, toCheckpointJson, type CheckpointSigner } from '../audit/checkpoint.js';
import type { AuditRecord } from '../audit/record.js';
import type { WardenConfig } from '../config/schema.js';
import { resolveSecretRef } from '../config/secret-ref.js';

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

const USAGE = `usage: warden audit <verb> [options]
  verify [--checkpoint file.json] [--public-key pem-file] [--json]
      check the hash chain; exit 0 when intact, 1 at the first broken record
  query [--agent A] [--channel C] [--decision D] [--target T] [--since T] [--until T]
        [--trace-id X] [--after-seq N] [--limit N] [--json]
  export [--format jsonl|csv] [--out file] [--after-seq N]
  prune --before T
      delete records older than T (the prune is itself audited; the rest still verifies)
  checkpoint [--out file] [--signing-key pem-file]
      print the latest checkpoint, writing one first if records exist after it
Times T: ISO 8601 or epoch milliseconds.
`;

class UsageError extends Error {}

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
        return prune(rest, ctx);
      case 'checkpoint':
        return await checkpoint(rest, ctx);
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

function parseTime(value: string, flag: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: not a time (ISO 8601 or epoch milliseconds): ${value}`);
  return n;
}

function parseInteger(value: string, flag: string): number {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag}: not a non-negative integer: ${value}`);
  return Number(value);
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
    ctx.out.write(`   ${r.checkpointsChecked} stored checkpoint(s) checked${cp ? `; matches checkpoint at seq ${cp.seq}` : ''}\n`);
    for (const n of r.notes) ctx.out.write(`   note: ${n}\n`);
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
    limit: { type: 'string' },
    json: { type: 'boolean' },
  });
  const q: AuditQuery = {};
  if (v.agent !== undefined) q.agent = v.agent;
  if (v.channel !== undefined) q.channel = v.channel;
  if (v.decision !== undefined) q.decision = v.decision;
  if (v.target !== undefined) q.target = v.target;
  if (v['trace-id'] !== undefined) q.traceId = v['trace-id'];
  if (v.since !== undefined) q.since = parseTime(v.since, '--since');
  if (v.until !== undefined) q.until = parseTime(v.until, '--until');
  if (v['after-seq'] !== undefined) q.afterSeq = parseInteger(v['after-seq'], '--after-seq');
  if (v.limit !== undefined) q.limit = parseInteger(v.limit, '--limit');
  const records = withDb(ctx, true, (db) => queryAudit(db, q));
  if (v.json) for (const r of records) ctx.out.write(JSON.stringify(r) + '\n');
  else printTable(ctx.out, records);
  return 0;
}

// Audit fields are attacker-influenced: never let them drive the terminal (escapes, bidi tricks).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const cell = (v: unknown, max = 40): string => {
  const s = v === null || v === undefined ? '-' : String(v).replace(UNSAFE, '?');
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
};

function printTable(out: NodeJS.WritableStream, records: AuditRecord[]): void {
  const cols = ['seq', 'time', 'channel', 'agent', 'action', 'target', 'decision', 'status', 'code', 'reason'] as const;
  const rows = records.map((r) => [
    String(r.seq),
    new Date(r.time).toISOString(),
    cell(r.channel),
    cell(r.agentId),
    cell(r.action),
    cell(r.target),
    cell(r.decision),
    cell(r.status),
    cell(r.code),
    cell(r.reason, 60),
  ]);
  const widths = cols.map((c, i) => Math.max(c.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (vals: readonly string[]) => vals.map((s, i) => s.padEnd(widths[i] as number)).join('  ').trimEnd() + '\n';
  out.write(line(cols));
  for (const r of rows) out.write(line(r));
  out.write(`(${records.length} record(s))\n`);
}

async function exportVerb(args: string[], ctx: AuditCommandContext): Promise<number> {
  const v = parse(args, { format: { type: 'string' }, out: { type: 'string' }, 'after-seq': { type: 'string' } });
  const format = v.format ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') throw new UsageError(`--format must be jsonl or csv, not ${format}`);
  const afterSeq = v['after-seq'] !== undefined ? parseInteger(v['after-seq'], '--after-seq') : 0;
  const db = open(ctx, true);
  const dest = v.out ? createWriteStream(v.out, { mode: 0o600 }) : ctx.out;
  let count = 0;
  try {
    const write = async (s: string): Promise<void> => {
      if (!dest.write(s)) await once(dest, 'drain');
    };
    if (format === 'csv') await write(csvHeader());
    for (const row of exportRows(db, afterSeq)) {
      await write(format === 'csv' ? csvLine(row) : jsonLine(row));
      count++;
    }
  } finally {
    db.close();
    if (v.out) {
      dest.end();
      await once(dest, 'finish');
    }
  }
  if (v.out) ctx.err.write(`exported ${count} record(s) to ${v.out}\n`);
  return 0;
}

function prune(args: string[], ctx: AuditCommandContext): number {
  const v = parse(args, { before: { type: 'string' } });
  if (v.before === undefined) throw new UsageError('prune needs --before');
  const before = parseTime(v.before, '--before');
  if (before > Date.now()) throw new UsageError('--before lies in the future');
  const r = withDb(ctx, false, (db) => pruneBefore(db, before, { via: 'cli' }));
  ctx.out.write(
    r.deleted > 0
      ? `pruned ${r.deleted} record(s) through seq ${r.anchor?.seq}; recorded as seq ${r.recordSeq}\n`
      : `nothing older than ${new Date(before).toISOString()}; recorded as seq ${r.recordSeq}\n`,
  );
  return 0;
}

async function checkpoint(args: string[], ctx: AuditCommandContext): Promise<number> {
  const v = parse(args, { out: { type: 'string' }, 'signing-key': { type: 'string' } });
  const signer = await cliSigner(v['signing-key'], ctx);
  const file = ctx.config?.audit.checkpoint.file ?? null;
  const cp = withDb(ctx, false, (db) => {
    const written = writeCheckpoint(db, { signer, file });
    if (written?.fileError) ctx.err.write(`warning: checkpoint not appended to ${file} (${written.fileError})\n`);
    return latestCheckpoint(db);
  });
  if (cp === null) {
    ctx.err.write('warden audit: no records yet, so no checkpoint\n');
    return 1;
  }
  const json = JSON.stringify(toCheckpointJson(cp), null, 2) + '\n';
  if (v.out) {
    writeFileSync(v.out, json);
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

// Audit append throughput: the real worker-backed sink (group commit) at durability
// normal and full, for several burst sizes, against one-at-a-time direct commits.
//
//   npm run build && node bench/audit-append.mjs          (about 35 s)
//   BENCH_MS=1000 node bench/audit-append.mjs             (shorter runs per shape)
//
// Each shape uses a fresh database in os.tmpdir(), default audit settings (maxBatch 512,
// checkpoint every 1000 records) and an Ed25519 checkpoint signing key, as in production.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { appendDirect, createAuditSink, openAuditDb } from '../dist/audit/index.js';

const MS = Number(process.env.BENCH_MS ?? 2500);
const WARMUP = 300;
const signingKeyPem = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let n = 0;
let varied = false;
// A typical gateway record: ids, digests, sizes, a two-step decision path. With `varied`,
// trace ids are unique and agents/targets spread (50/200 values): every indexed column then
// lands on a different B-tree leaf, which is the realistic (write-amplifying) case.
const event = () => ({
  time: Date.now(),
  requestId: `bench-${++n}`,
  traceId: varied ? `trace-${n}-${(n * 2654435761) % 4294967296}` : 'trace-1',
  agentId: varied ? `agent-${n % 50}` : 'agent-a',
  keyId: 'key-1',
  channel: 'mcp',
  action: 'tools/call',
  target: varied ? `tool-${(n * 7) % 200}` : 'crm.search',
  decision: 'allow',
  policy: 'forward',
  status: 200,
  latencyMs: 3.2,
  requestDigest: 'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  responseDigest: 'sha256:60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752',
  requestBytes: 812,
  responseBytes: 4096,
  path: [
    { policy: 'rate-limit', decision: 'allow', ms: 0.02 },
    { policy: 'data-exposure', decision: 'allow', ms: 0.4 },
  ],
});

function tempDb() {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-audit-'));
  return { dbPath: join(dir, 'audit.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

async function sinkShape(durability, burst) {
  const { dbPath, cleanup } = tempDb();
  const sink = await createAuditSink({ dbPath, durability, checkpoint: { signingKeyPem } });
  const burstOf = (k) => {
    const all = new Array(k);
    for (let i = 0; i < k; i++) all[i] = sink.append(event());
    return Promise.all(all);
  };
  for (let done = 0; done < WARMUP; done += burst) await burstOf(burst);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < MS) {
    await burstOf(burst);
    count += burst;
  }
  const secs = (performance.now() - start) / 1000;
  await sink.close();
  cleanup();
  const shape = burst === 1 ? 'sink, 1 at a time (awaited)' : `sink, bursts of ${burst} outstanding`;
  return { shape: varied ? `${shape}, varied index keys` : shape, durability, rate: count / secs, msPerBurst: (secs * 1000 * burst) / count };
}

function directShape(durability) {
  const { dbPath, cleanup } = tempDb();
  const db = openAuditDb(dbPath, { durability });
  for (let i = 0; i < WARMUP; i++) appendDirect(db, [event()]);
  let count = 0;
  const start = performance.now();
  while (performance.now() - start < MS) {
    appendDirect(db, [event()]); // one transaction (one fsync at FULL) per record
    count++;
  }
  const secs = (performance.now() - start) / 1000;
  db.close();
  cleanup();
  return { shape: 'direct, 1 record per transaction (baseline)', durability, rate: count / secs, msPerBurst: (secs * 1000) / count };
}

const cpus = os.cpus();
const sqlite = new Database(':memory:').prepare('select sqlite_version() v').get().v;
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, ${os.platform()} ${os.release()}`);
console.log(`node ${process.version}, SQLite ${sqlite}, database in ${os.tmpdir()}, ${MS} ms per shape, WAL, maxBatch 512, signed checkpoint every 1000 records`);

const results = [];
results.push(directShape('full'));
results.push(directShape('normal'));
for (const durability of ['normal', 'full']) {
  for (const burst of [1, 16, 128, 1024]) results.push(await sinkShape(durability, burst));
}
varied = true;
results.push(await sinkShape('full', 1024));
varied = false;

const rows = results.map((r) => [r.shape, r.durability.toUpperCase(), Math.round(r.rate).toLocaleString('en-US'), r.msPerBurst.toFixed(3)]);
const head = ['shape', 'synchronous', 'records/s', 'ms per burst'];
const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const fmt = (r) => '| ' + r.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
console.log('\n' + fmt(head));
console.log('|' + widths.map((w, i) => (i >= 2 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|');
for (const r of rows) console.log(fmt(r));

const best = Math.max(...results.filter((r) => r.durability === 'full' && r.shape.startsWith('sink') && !r.shape.includes('varied')).map((r) => r.rate));
console.log(`\ntarget: >= 50,000 records/s at FULL with group commit: ${best >= 50_000 ? 'met' : 'NOT met'} (best ${Math.round(best).toLocaleString('en-US')}/s)`);

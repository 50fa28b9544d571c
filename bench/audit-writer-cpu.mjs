// CPU the audit writer thread spends per record, at group-commit sizes 1, 16 and 256.
//
//   npm run build && node bench/audit-writer-cpu.mjs                 (about 40 s)
//   BEFORE_DIST=/path/to/old/dist node bench/audit-writer-cpu.mjs    (old vs new, interleaved)
//   MODE=inline node --cpu-prof bench/audit-writer-cpu.mjs           (profile the writer's work)
//
// Since 6466cbf records are normalized on the sink's side before they are sent, so the writer's
// figures from before it include normalizing and after it do not.
// MODE=thread (default): the real sink and writer thread; bursts of `batch` appends are made in
// one tick and awaited, so each burst is one group commit. The writer thread's CPU is read
// from /proc/self/task/<tid>/schedstat (ns of run time) around the measured bursts; its tid is
// the one thread that appears when the sink starts and then burns the most CPU.
// MODE=inline: the writer's steps for one group (rows from the message's values, queue, BEGIN
// IMMEDIATE + identity check + append, shift) in this thread, timed with process.cpuUsage(); no thread,
// so `node --cpu-prof` sees the whole path.
//
// Each series uses a fresh WAL database in os.tmpdir() at synchronous=NORMAL (the default),
// default checkpoint settings (every 1000 records, unsigned, as the gateway by default).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const MODE = process.env.MODE ?? 'thread';
const RECORDS = Number(process.env.RECORDS ?? 20_000);
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const BATCHES = (process.env.BATCHES ?? '1,16,256').split(',').map(Number);
const dists = [];
if (process.env.BEFORE_DIST) dists.push(['before', resolve(process.env.BEFORE_DIST)]);
dists.push([process.env.BEFORE_DIST ? 'after' : 'current', resolve(process.env.AFTER_DIST ?? new URL('../dist', import.meta.url).pathname)]);

let n = 0;
// A typical governed MCP call's record.
const event = () => ({
  time: Date.now(),
  requestId: `bench-${++n}`,
  traceId: `0af7651916cd43dd8448eb211c80319c-${n}`,
  agentId: `agent-${n % 50}`,
  keyId: 'key-1',
  channel: 'mcp',
  action: 'tools/call',
  target: `echo-${n % 20}`,
  decision: 'allow',
  policy: 'forward',
  status: 200,
  latencyMs: 0.42,
  requestBytes: 812,
  responseBytes: 4096,
  requestDigest: `sha256:${'3f'.repeat(32)}`,
  responseDigest: `sha256:${'c7'.repeat(32)}`,
  path: [
    { policy: 'agent-key', decision: 'allow', ms: 0.01 },
    { policy: 'catalog', decision: 'allow', ms: 0.02 },
    { policy: 'forward', decision: 'allow', ms: 0.35 },
  ],
  details: { upstream: 'echo', era: '2026-07-28', transport: 'http' },
});

function tempDb() {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-writer-'));
  return { dbPath: join(dir, 'audit.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

const threadNs = (tid) => Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
const tids = () => new Set(readdirSync('/proc/self/task'));

async function threadSeries(dist, batch) {
  const { createAuditSink } = await import(pathToFileURL(join(dist, 'audit/index.js')).href);
  const { dbPath, cleanup } = tempDb();
  const before = tids();
  const sink = await createAuditSink({ dbPath });
  const fresh = [...tids()].filter((t) => !before.has(t));
  const burst = () => {
    const all = new Array(batch);
    for (let i = 0; i < batch; i++) all[i] = sink.append(event());
    return Promise.all(all);
  };
  for (let done = 0; done < Math.max(2000, RECORDS / 4); done += batch) await burst(); // let V8 tier up
  const t0 = new Map(fresh.map((t) => [t, threadNs(t)]));
  let count = 0;
  while (count < RECORDS) {
    await burst();
    count += batch;
  }
  let ns = 0;
  for (const t of fresh) ns = Math.max(ns, threadNs(t) - (t0.get(t) ?? 0));
  await sink.close();
  cleanup();
  return ns / 1000 / count;
}

async function inlineSeries(dist, batch) {
  const mod = (p) => import(pathToFileURL(join(dist, p)).href);
  const { openAuditDb } = await mod('audit/db.js');
  const { appendRows } = await mod('audit/append.js');
  const { WriterQueue } = await mod('audit/writer-queue.js');
  const { contentHalves, safeRow } = await mod('audit/chain.js');
  const { halvesFromValues, rowFromValues, rowValues } = await mod('audit/row-values.js');
  const { dbPath, cleanup } = tempDb();
  const db = openAuditDb(dbPath);
  const queue = new WriterQueue();
  const identity = statSync(dbPath);
  const commit = db.transaction((rows, halves) => {
    const st = statSync(dbPath, { throwIfNoEntry: false });
    if (!st || st.ino !== identity.ino) throw new Error('replaced');
    return appendRows(db, rows, undefined, halves).firstSeq;
  });
  let id = 0;
  const group = () => {
    const events = new Array(batch);
    const ids = new Array(batch);
    for (let i = 0; i < batch; i++) {
      events[i] = event();
      ids[i] = ++id;
    }
    // The sink's side and postMessage: not counted below.
    const sent = structuredClone(
      events.map((e) => {
        const row = safeRow(e);
        return rowValues(row, contentHalves(row));
      }),
    );
    const t = process.cpuUsage();
    queue.pushRows(ids, sent.map(rowFromValues), Infinity, sent.map(halvesFromValues));
    const g = queue.peek(512, -Infinity, () => 'late');
    commit.immediate(g.rows, g.halves);
    queue.shift(g.ids.length);
    const d = process.cpuUsage(t);
    return d.user + d.system;
  };
  for (let done = 0; done < Math.max(2000, RECORDS / 4); done += batch) group();
  let us = 0;
  let count = 0;
  while (count < RECORDS) {
    us += group();
    count += batch;
  }
  db.close();
  cleanup();
  return us / count;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cpus = os.cpus();
console.log(`machine: ${cpus[0]?.model ?? 'unknown cpu'}, ${cpus.length} cores, node ${process.version}, ${os.platform()} ${os.release()}`);
console.log(`mode ${MODE}, ${RECORDS} records per series after warm-up, median of ${ROUNDS} interleaved rounds; writer CPU us/record`);
const results = new Map();
for (let round = 0; round < ROUNDS; round++) {
  for (const batch of BATCHES) {
    for (const [label, dist] of dists) {
      const us = MODE === 'inline' ? await inlineSeries(dist, batch) : await threadSeries(dist, batch);
      const key = `${label}|${batch}`;
      results.set(key, [...(results.get(key) ?? []), us]);
    }
  }
}
const head = ['batch', ...dists.map(([l]) => l)];
console.log('\n| ' + head.join(' | ') + ' |');
console.log('|' + head.map(() => '--:').join('|') + '|');
for (const batch of BATCHES) {
  const cells = dists.map(([l]) => {
    const xs = results.get(`${l}|${batch}`) ?? [];
    return `${median(xs).toFixed(1)} (${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)})`;
  });
  console.log(`| ${batch} | ${cells.join(' | ')} |`);
}

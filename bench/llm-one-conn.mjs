// One connection, one request at a time (JSON): the latency tail and the CPU of every thread of
// the process under test, to see where issue #5's one-connection figures come from.
//   npm run build && node bench/llm-one-conn.mjs [--target=warden|direct|bare|audited|checked|inline]
//     [--workload=short|prompt4k|history64|window64] [--requests=16000] [--warmup=8000] [--slow-ms=1.3] [--trajectory=N]
// Prints the whole-answer latency percentiles (µs, measured by this client), how many answers
// took longer than --slow-ms and how far apart those were (periodic pauses such as garbage
// collections show as a steady spacing), and the run time per request of each thread of the
// target's process (/proc/<pid>/task/<tid>/schedstat: the main thread; in Warden also its audit
// writer thread, the busiest of the others, and V8's helper threads), read around the measured
// requests only; `direct` reports the fake upstream's own threads. WARDEN_BENCH_NODE_FLAGS
// changes the gateway's node flags (see lib.mjs).
import { readdirSync, readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { gatewayNodeFlags, machine, percentile } from './lib.mjs';
import { directTarget, startFake, startFloorProxy, startWarden, stopProcess } from './llm-targets.mjs';
import { createWorkloads, WORKLOADS } from './llm-workloads.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const TARGET = arg('target', 'warden');
const WORKLOAD = arg('workload', 'short');
const REQUESTS = Number(arg('requests', 16000));
const WARMUP = Number(arg('warmup', 8000));
const SLOW_US = Number(arg('slow-ms', 1.3)) * 1000;
const TRAJECTORY = Number(arg('trajectory', 0));
if (!(REQUESTS > 1) || !(WARMUP >= 0) || !(SLOW_US > 0)) throw new Error('--requests, --warmup and --slow-ms take positive numbers');
if (!['warden', 'direct', 'bare', 'audited', 'checked', 'inline'].includes(TARGET)) throw new Error('--target: warden, direct, bare, audited, checked or inline');
if (!WORKLOADS.includes(WORKLOAD)) throw new Error(`--workload: one of ${WORKLOADS.join(', ')}`);

/** Run time of each thread of `pid` in µs (schedstat, ns resolution) and its name (node names V8's helpers and workers alike "node"). */
function threadCpu(pid) {
  const byTid = new Map();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const ns = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      const name = readFileSync(`/proc/${pid}/task/${tid}/comm`, 'utf8').trim();
      byTid.set(tid, { us: ns / 1000, name });
    } catch {
      // the thread ended meanwhile (its CPU is not counted)
    }
  }
  return byTid;
}

const fake = await startFake();
const target =
  TARGET === 'warden' ? await startWarden(fake) : TARGET === 'direct' ? { ...directTarget(fake), proc: fake.proc } : await startFloorProxy(fake, TARGET);
const pid = target.proc.pid;
const nextBody = createWorkloads()(WORKLOAD, 'json');
const pool = new Pool(target.origin, { connections: 1 });
async function one() {
  const body = nextBody();
  const t0 = process.hrtime.bigint();
  const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: target.headers, body });
  await r.body.text();
  if (r.statusCode !== 200) throw new Error(`${TARGET} answered ${r.statusCode}`);
  return Number(process.hrtime.bigint() - t0) / 1000;
}

try {
  // --trajectory=N: the warm-up in windows of N requests, each with its p50 and CPU, to see how
  // long the target takes to reach its steady state.
  for (let done = 0; done < WARMUP; ) {
    const n = TRAJECTORY > 0 ? Math.min(TRAJECTORY, WARMUP - done) : WARMUP - done;
    const cpu0 = TRAJECTORY > 0 ? threadCpu(pid) : null;
    const lat = [];
    for (let i = 0; i < n; i++) lat.push(await one());
    done += n;
    if (cpu0) {
      const cpu1 = threadCpu(pid);
      const spent = (tid) => (cpu1.get(tid).us - (cpu0.get(tid)?.us ?? 0)) / n;
      const others = [...cpu1.keys()].filter((t) => t !== String(pid)).reduce((s, t) => s + spent(t), 0);
      lat.sort((a, b) => a - b);
      console.log(`warm-up to ${done}: p50 ${percentile(lat, 50).toFixed(0)} µs, CPU µs/request main ${spent(String(pid)).toFixed(0)} others ${others.toFixed(0)}`);
    }
  }
  const before = threadCpu(pid);
  const t0 = performance.now();
  const rows = [];
  for (let i = 0; i < REQUESTS; i++) {
    const at = performance.now() - t0;
    rows.push([at, await one()]);
  }
  const seconds = (performance.now() - t0) / 1000;
  const after = threadCpu(pid);

  const lat = rows.map((r) => r[1]).sort((a, b) => a - b);
  const q = (p) => percentile(lat, p).toFixed(0);
  console.log(`# llm-one-conn: ${machine()}`);
  const flags = TARGET === 'warden' ? `, node flags: ${gatewayNodeFlags().join(' ') || 'none'}` : '';
  console.log(`${TARGET}${flags}; ${WORKLOAD}, JSON, 1 connection: ${REQUESTS} requests after ${WARMUP} of warm-up, ${(REQUESTS / seconds).toFixed(0)} req/s`);
  console.log(`latency µs: p50 ${q(50)} p90 ${q(90)} p95 ${q(95)} p98 ${q(98)} p99 ${q(99)} p99.5 ${q(99.5)} p99.9 ${q(99.9)} max ${lat[lat.length - 1].toFixed(0)}`);
  const slow = rows.filter((r) => r[1] > SLOW_US);
  const gaps = slow
    .slice(1)
    .map((r, i) => r[0] - slow[i][0])
    .sort((a, b) => a - b);
  const g = (p) => (gaps.length ? percentile(gaps, p).toFixed(0) : '-');
  console.log(`over ${SLOW_US / 1000} ms: ${slow.length} (${((100 * slow.length) / REQUESTS).toFixed(2)}%), ms between them: p10 ${g(10)} p50 ${g(50)} p90 ${g(90)}`);
  const cpu = [...after]
    .map(([tid, t]) => [tid === String(pid) ? 'main' : `${t.name} ${tid}`, (t.us - (before.get(tid)?.us ?? 0)) / REQUESTS])
    .filter(([, us]) => us >= 0.05)
    .sort((a, b) => b[1] - a[1]);
  const total = cpu.reduce((n, [, us]) => n + us, 0);
  console.log(`CPU µs/request by thread: ${cpu.map(([who, us]) => `${who} ${us.toFixed(1)}`).join(', ')}; total ${total.toFixed(1)}`);
} finally {
  await pool.close();
  await target.stop();
  await stopProcess(fake.proc);
}

// One connection after idle periods: cells of load (JSON, one request at a time) separated by idle
// time, as Warden sees them in bench/llm-call.mjs while the direct and Portkey cells run, with
// V8's GC trace of the gateway read per cell. Shows the full collections that sometimes follow an
// idle period and make a cell's CPU and p99 jump (docs/benchmarks.md, "After idle periods").
//   npm run build && node bench/llm-after-idle.mjs [--cycles=5] [--idle-ms=10000] [--cell-ms=5000]
//     [--workloads=history64,window64]
// Per cell: latency p50 / p99 as this client sees it, the gateway's CPU (all threads, and its main
// thread) per request, and the main isolate's mark-compacts and scavenges during the cell.
import { readdirSync, readFileSync } from 'node:fs';
import { Pool } from 'undici';
import { machine, percentile } from './lib.mjs';
import { startFake, startWarden, stopProcess } from './llm-targets.mjs';
import { createWorkloads, WORKLOADS } from './llm-workloads.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const CYCLES = Number(arg('cycles', 5));
const IDLE_MS = Number(arg('idle-ms', 10000));
const CELL_MS = Number(arg('cell-ms', 5000));
const LIST = arg('workloads', 'history64,window64').split(',');
for (const w of LIST) if (!WORKLOADS.includes(w)) throw new Error(`--workloads: from ${WORKLOADS.join(', ')}`);

let cell = null;
const gcs = [];
const fake = await startFake();
const gw = await startWarden(fake, {}, {
  nodeFlags: ['--trace-gc'],
  // --trace-gc writes to stdout, one line per collection, prefixed with the isolate's address.
  onStdout: (d) => {
    for (const line of String(d).split('\n')) if (/: (Mark-Compact|Scavenge)/.test(line)) gcs.push({ cell, line });
  },
});
const pid = gw.proc.pid;
/** Run time in µs of all the gateway's threads and of its main thread (schedstat, ns). */
function cpu() {
  let all = 0;
  let main = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const us = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1000;
      all += us;
      if (tid === String(pid)) main = us;
    } catch {
      // the thread ended meanwhile
    }
  }
  return { all, main };
}

const session = createWorkloads();
const pool = new Pool(gw.origin, { connections: 1 });
async function load(workload, ms) {
  const next = session(workload, 'json');
  const lat = [];
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const t0 = performance.now();
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: gw.headers, body: next() });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`answer ${r.statusCode}`);
    lat.push(performance.now() - t0);
  }
  return lat.sort((a, b) => a - b);
}

try {
  console.log(`# llm-after-idle: ${machine()}; ${CYCLES} cycles of ${IDLE_MS / 1000} s idle then ${CELL_MS / 1000} s of each of ${LIST.join(', ')}, JSON, 1 connection\n`);
  console.log('| cycle | workload | requests | p50 ms | p99 ms | CPU µs/req (main) | main isolate: mark-compacts / scavenges |');
  console.log('|--:|---|--:|--:|--:|--:|--:|');
  await load('short', 3000);
  // The main isolate is the first to report a collection: it loads the gateway before any worker starts.
  const mainIsolate = gcs[0]?.line.match(/\[\d+:(0x[0-9a-f]+)\]/)?.[1] ?? null;
  if (!mainIsolate) throw new Error('no GC trace from the gateway');
  for (let c = 1; c <= CYCLES; c++) {
    for (const workload of LIST) {
      cell = null;
      await new Promise((r) => setTimeout(r, IDLE_MS));
      cell = `${c} ${workload}`;
      const before = cpu();
      const lat = await load(workload, CELL_MS);
      const after = cpu();
      const mine = gcs.filter((g) => g.cell === cell).map((g) => g.line);
      const main = mine.filter((l) => l.includes(`:${mainIsolate}]`));
      const n = lat.length;
      const mc = main.filter((l) => l.includes('Mark-Compact')).length;
      const sc = main.filter((l) => l.includes('Scavenge')).length;
      console.log(`| ${c} | ${workload} | ${n} | ${percentile(lat, 50).toFixed(2)} | ${percentile(lat, 99).toFixed(2)} | ${Math.round((after.all - before.all) / n)} (${Math.round((after.main - before.main) / n)}) | ${mc} / ${sc} |`);
    }
  }
} finally {
  await pool.close();
  await gw.stop();
  await stopProcess(fake.proc);
}

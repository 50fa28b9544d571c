// Garbage collection behind Warden's LLM path: one request at a time, the gateway started with
// V8's `--trace-gc-nvp`, its trace parsed per thread (isolate).
//   npm run build && node bench/llm-gc.mjs [--workload=short|prompt4k|history64|window64] [--seconds=12]
// Prints, for the main thread and the audit writer: young-generation collections (scavenges),
// their median and p90 pause, and the bytes promoted to the old generation per scavenge and per
// request. Objects that die with their request should promote nothing; what is promoted stays
// until a full collection and lengthens every scavenge on the way (docs/benchmarks.md, run L).
import { once } from 'node:events';
import { Pool } from 'undici';
import { machine, percentile } from './lib.mjs';
import { startFake, startWarden, stopProcess } from './llm-targets.mjs';
import { createWorkloads, WORKLOADS } from './llm-workloads.mjs';

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const WORKLOAD = arg('workload', 'short');
const SECONDS = Number(arg('seconds', 12));
if (!WORKLOADS.includes(WORKLOAD)) throw new Error(`--workload: one of ${WORKLOADS.join(', ')}`);
if (!(SECONDS > 0)) throw new Error('--seconds takes a positive number');

const fake = await startFake();
let trace = '';
const warden = await startWarden(fake, {}, { nodeFlags: ['--trace-gc-nvp'], onStdout: (d) => (trace += d) });
const stdoutEnded = once(warden.proc.stdout, 'end');
const nextBody = createWorkloads()(WORKLOAD, 'json');
const pool = new Pool(warden.origin, { connections: 1 });
let requests = 0;
let startMark = 0;
try {
  // Warm-up, then mark where the measured part of the trace starts.
  for (const until = Date.now() + 3000; Date.now() < until; ) await one();
  startMark = trace.length;
  for (const until = Date.now() + SECONDS * 1000; Date.now() < until; requests++) await one();
} finally {
  await pool.close();
  await warden.stop();
  await stdoutEnded; // the last trace lines may still be in the pipe when the process exits
  await stopProcess(fake.proc);
}

async function one() {
  const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: warden.headers, body: nextBody() });
  await r.body.text();
  if (r.statusCode !== 200) throw new Error(`warden answered ${r.statusCode}`);
}

// Each line: "[pid:isolate] <ms> ms: pause=.. gc=s ... promoted=.. ..." (gc=s: scavenge). V8 buffers
// the trace, so the measured window's edges are approximate (a buffer of lines either side), and
// the collections of the shutdown are counted: figures, not an exact ledger.
const byIsolate = new Map();
for (const line of trace.slice(startMark).split('\n')) {
  const m = /^\[\d+:(0x[0-9a-f]+)\].*\bgc=(\w+)/.exec(line);
  if (!m) continue;
  const field = (k) => Number(new RegExp(`\\b${k}=([\\d.]+)`).exec(line)?.[1] ?? NaN);
  const entry = byIsolate.get(m[1]) ?? { scavenges: [], others: 0, otherPauseMs: 0 };
  const allocated = field('allocated');
  // V8 prints an unsigned difference that can wrap to about 1.8e19: ignore those.
  if (allocated < 2 ** 53) entry.allocated = (entry.allocated ?? 0) + allocated;
  if (m[2] === 's') entry.scavenges.push({ pause: field('pause'), promoted: field('promoted') });
  else {
    entry.others++;
    entry.otherPauseMs += field('pause') || 0;
  }
  byIsolate.set(m[1], entry);
}
console.log(`# llm-gc: ${machine()}`);
console.log(`${WORKLOAD}, JSON, 1 connection: ${requests} requests in ${SECONDS} s after 3 s of warm-up`);
// The main thread is the isolate that allocates most; the others are worker threads (under this
// load the busy one is the audit writer).
const mainIsolate = [...byIsolate].sort((a, b) => b[1].allocated - a[1].allocated)[0]?.[0];
for (const [isolate, e] of byIsolate) {
  const pauses = e.scavenges.map((s) => s.pause).sort((a, b) => a - b);
  const promoted = e.scavenges.reduce((n, s) => n + s.promoted, 0);
  const label = isolate === mainIsolate ? 'main thread' : `worker thread ${isolate}`;
  console.log(
    `${label}: ${e.scavenges.length} scavenges, pause ms median ${percentile(pauses, 50).toFixed(2)} p90 ${percentile(pauses, 90).toFixed(2)}; ` +
      `promoted ${(promoted / Math.max(1, e.scavenges.length) / 1024).toFixed(1)} KB per scavenge, ${(promoted / requests).toFixed(0)} bytes per request; ` +
      `${e.others} other collections (${e.otherPauseMs.toFixed(1)} ms)`,
  );
}

// Where one request's time goes inside Warden at one connection (JSON; the short chat unless --workload): the
// medians of each step between request start and response finish, measured in the gateway by
// bench/llm-timeline-preload.mjs, and the policy chain's own step times from the audit records.
//   npm run build && node bench/llm-timeline.mjs [--workload=short|prompt4k|history64|window64] [--requests=30000] [--measure=8000]
// The first requests warm the gateway up (V8 keeps optimizing the path for 10,000+ requests);
// the last --measure are reported. Figures in docs/benchmarks.md ("The floor").
import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { machine, percentile } from './lib.mjs';
import { startFake, startWarden, stopProcess } from './llm-targets.mjs';
import { createWorkloads, WORKLOADS } from './llm-workloads.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const REQUESTS = opt('requests', 30000);
const MEASURE = opt('measure', 8000);
const WORKLOAD = process.argv.find((a) => a.startsWith('--workload='))?.slice(11) ?? 'short';
if (!WORKLOADS.includes(WORKLOAD)) throw new Error(`--workload: one of ${WORKLOADS.join(', ')}`);
const nextBody = createWorkloads()(WORKLOAD, 'json');

const dir = mkdtempSync(join(os.tmpdir(), 'warden-timeline-'));
const file = join(dir, 'timeline.json');
const fake = await startFake();
const gw = await startWarden(fake, {
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${join(HERE, 'llm-timeline-preload.mjs')}`.trim(),
  WARDEN_BENCH_TIMELINE_FILE: file,
  WARDEN_BENCH_TIMELINE_SKIP: String(REQUESTS - MEASURE),
  WARDEN_BENCH_TIMELINE_COUNT: String(MEASURE),
});
try {
  const pool = new Pool(gw.origin, { connections: 1 });
  for (let i = 0; i < REQUESTS; i++) {
    const r = await pool.request({ method: 'POST', path: '/v1/chat/completions', headers: gw.headers, body: nextBody() });
    await r.body.text();
    if (r.statusCode !== 200) throw new Error(`answer ${r.statusCode}`);
  }
  await pool.close();
  await new Promise((r) => setTimeout(r, 300));
  const rows = JSON.parse(readFileSync(file, 'utf8'));
  const sorted = (xs) => xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const cell = (xs) => {
    const s = sorted(xs);
    return `${percentile(s, 50).toFixed(0)} / ${percentile(s, 90).toFixed(0)}`;
  };
  const seg = (a, b) => cell(rows.map((r) => r[b] - r[a]));
  console.log(`# llm-timeline: ${machine()}; ${WORKLOAD}, JSON, 1 connection, ${REQUESTS} requests, the last ${rows.length} measured`);
  console.log('\nIn the gateway, µs (median / p90 of each step on its own, so the medians do not add up to the total exactly):\n');
  console.log('| request start to upstream request sent | to upstream answer headers | to answer read | to audit record posted | audit hop: posted to commit acknowledged | to response finished | total | response finished to next request start |');
  console.log('|--:|--:|--:|--:|--:|--:|--:|--:|');
  console.log(`| ${seg('start', 'sent')} | ${seg('sent', 'headers')} | ${seg('headers', 'done')} | ${seg('done', 'posted')} | ${seg('posted', 'ack')} | ${seg('ack', 'finish')} | ${seg('start', 'finish')} | ${cell(rows.map((r) => r.gap))} |`);
  // The chain's own step times, as the audit records hold them (the same requests).
  const db = new Database(join(gw.dataDir, 'audit.db'), { readonly: true, fileMustExist: true });
  const paths = db.prepare("SELECT path FROM audit_events WHERE channel = 'llm' ORDER BY seq DESC LIMIT ?").all(rows.length);
  db.close();
  const steps = new Map();
  for (const { path } of paths) for (const s of JSON.parse(path)) (steps.get(s.policy) ?? steps.set(s.policy, []).get(s.policy)).push(s.ms * 1000);
  console.log('\nPolicy chain steps (audit records\' `path`), µs, median / p90:\n');
  console.log(`| ${[...steps.keys()].join(' | ')} |`);
  console.log(`|${[...steps.keys()].map(() => '--:').join('|')}|`);
  console.log(`| ${[...steps.values()].map(cell).join(' | ')} |`);
} finally {
  await gw.stop();
  await stopProcess(fake.proc);
  rmSync(dir, { recursive: true, force: true });
}

// LLM proxy overhead (issue #5), in one run against the fake upstream (bench/fake-openai.mjs,
// its own process, record off): direct to the fake, through Warden (agent key, authorization,
// model authorization, prompt token estimate, audit committed before the answer ends), and
// through the Portkey open-source gateway, for each workload (bench/llm-workloads.mjs), JSON
// and SSE streaming, at 1, 16 and 64 connections. Targets run back to back per cell, so each
// ratio compares figures measured minutes apart at most. Prints one JSON line per cell, then
// Markdown: every cell, the issue's targets, and what else ran on the machine meanwhile.
//   npm run build && node bench/llm-call.mjs [--duration=5] [--warmup=1] [--rounds=1] [--quick]
//     [--no-portkey] [--workloads=short,prompt4k,history64,window64] [--modes=json,stream]
//     [--conns=1,16,64] [--floor] [--profile | --profile-only [--profile-workload=short] [--profile-mode=json]
//     [--profile-conns=16]] [--diagnose-stalls]
//   --floor: also measure the reference proxies of bench/floor-proxy.mjs as targets beside Warden:
//   bare; audited (one audit row committed by a worker thread before the answer ends); checked
//   (audited, plus the checks Warden cannot forward a body without: UTF-8, nesting, repeated
//   keys); inline (the audited commit on the event loop, which Warden may not do: what the thread
//   hand-off costs).
//   --quick: 1 s cells, short warm-ups (CI-sized, about 2 minutes; figures only indicative).
//   --profile: afterwards, one workload (default the short chat, JSON, 16 connections) against a
//   fresh gateway sampled by the V8 profiler (bench/mcp-cpu-prof-preload.mjs), summarized by
//   bench/mcp-profile.mjs.
//   --diagnose-stalls: Warden runs under V8's sampling heap profiler (bench/llm-stall-preload.mjs);
//   one that stops answering gets its CPU sampled for 4 s, and both summaries are printed
//   before it is replaced (a target that dies or stops answering is always replaced, and
//   listed at the end). Not for figures: the heap sampling costs CPU.
// Portkey: PEERS_DIR (default /tmp/peers) as ../shared/bench/setup-peers.sh installs it
// (@portkey-ai/gateway 1.15.2 with @hono/node-server overridden to 1.13.5); skipped when absent.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { gatewayNodeFlags, machine, rssKiB } from './lib.mjs';
import { machineBusyUs, mainThreadCpuUs, processCpuUs, runCell } from './llm-load.mjs';
import { printReport } from './llm-report.mjs';
import { printStallDiagnosis, waitForStallFiles } from './llm-stall.mjs';
import { directTarget, PORTKEY_JS, startFake, startFloorProxy, startPortkey, startWarden } from './llm-targets.mjs';
import { createWorkloads, WORKLOADS } from './llm-workloads.mjs';
import { printProfile, summarizeProfile } from './mcp-profile.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const PATH = '/v1/chat/completions';
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const list = (name, dflt) => opt(name, dflt).split(',').filter(Boolean);
const QUICK = flag('quick');
const DURATION_MS = 1000 * Number(opt('duration', QUICK ? 1 : 5));
const WARMUP_MS = 1000 * Number(opt('warmup', QUICK ? 0.25 : 1));
const ROUNDS = Number(opt('rounds', 1));
const WORKLOAD_LIST = list('workloads', WORKLOADS.join(','));
const MODES = list('modes', 'json,stream');
const CONNS = list('conns', '1,16,64').map(Number);
const PROFILE_ONLY = flag('profile-only');
const PROFILE = PROFILE_ONLY || flag('profile');
const NO_PORTKEY = flag('no-portkey');
const FLOOR = flag('floor');
/** Warden runs with bench/llm-stall-preload.mjs, and a stalled Warden is profiled before it is replaced. */
const DIAGNOSE = flag('diagnose-stalls');
const PRELOAD = `--import=${join(HERE, 'mcp-cpu-prof-preload.mjs')}`;
const STALL_PRELOAD = `--import=${join(HERE, 'llm-stall-preload.mjs')}`;

const log = (msg) => process.stderr.write(`[llm-call] ${msg}\n`);
const alive = (t) => !t.proc || (t.proc.exitCode === null && t.proc.signalCode === null);
/** A sampler that reads NaN once its process is gone, so a dying target cannot crash the run. */
const safe = (sample) => () => {
  try {
    return sample();
  } catch {
    return NaN;
  }
};

/** What a target that stopped answering is doing: spinning or idle, and how much memory it holds. */
async function diagnose(t, outstanding) {
  const pid = t.proc?.pid;
  if (!pid) return log(`${t.name}: ${outstanding} requests still out 3 s after the deadline`);
  if (t.profileDir) t.proc.kill('SIGUSR2');
  const c0 = safe(() => processCpuUs(pid))();
  await new Promise((r) => setTimeout(r, 1000));
  const c1 = safe(() => processCpuUs(pid))();
  const rss = safe(() => rssKiB(pid))();
  log(`${t.name} (pid ${pid}): ${outstanding} requests still out 3 s after the deadline; ${alive(t) ? 'alive' : `exited (${t.proc.exitCode ?? t.proc.signalCode})`}, CPU ${f1((c1 - c0) / 1e4)}% of a core over the last second, RSS ${f1(rss / 1024)} MB`);
}
const f1 = (x) => (Number.isNaN(x) ? '?' : x.toFixed(1));

/** One request, read whole: for the sanity checks. */
async function fetchText(target, body) {
  const pool = new Pool(target.origin, { connections: 1 });
  try {
    const res = await pool.request({ method: 'POST', path: PATH, headers: target.headers, body });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    await pool.close();
  }
}

/** A JSON answer with usage and a stream with its usage chunk and [DONE], or why not. */
async function sanity(target, session) {
  const json = await fetchText(target, session('short', 'json')());
  if (json.status !== 200 || !json.text.includes('"total_tokens"')) return `JSON answer ${json.status}: ${json.text.slice(0, 300)}`;
  const sse = await fetchText(target, session('short', 'stream')());
  if (sse.status !== 200 || !/"usage":\{"prompt_tokens"/.test(sse.text) || !sse.text.endsWith('data: [DONE]\n\n')) return `stream answer ${sse.status}: ${sse.text.slice(0, 300)}`;
  return null;
}

function cell(target, fake, session, { workload, mode, conns, durationMs }) {
  let bytes = 0;
  let bodies = 0;
  const counted = () => {
    const next = session(workload, mode);
    return () => {
      const b = next();
      bytes += b.length;
      bodies++;
      return b;
    };
  };
  const pid = target.proc?.pid;
  const watch = {
    gateway: safe(() => (pid ? processCpuUs(pid) : 0)),
    gatewayMain: safe(() => (pid ? mainThreadCpuUs(pid) : 0)),
    upstream: safe(() => processCpuUs(fake.proc.pid)),
    machine: machineBusyUs,
  };
  const onStall = (outstanding) => void diagnose(target, outstanding);
  return runCell({ origin: target.origin, path: PATH, headers: target.headers, conns, durationMs, stream: mode === 'stream', session: counted, watch, onStall }).then((r) => ({ ...r, bodyBytes: bodies ? bytes / bodies : 0 }));
}

function jsonLine(round, target, spec, r, rssMb = null) {
  const per = (us) => (r.requests && target !== 'direct' ? us / r.requests : null);
  const known = r.cpu_us.gateway + r.cpu_us.upstream + r.cpu_us.loadgen;
  return {
    bench: 'llm-call',
    round,
    workload: spec.workload,
    mode: spec.mode,
    conns: spec.conns,
    target,
    requests: r.requests,
    seconds: r.seconds,
    rps: r.rps,
    p50_ms: r.p50_ms,
    p99_ms: r.p99_ms,
    max_ms: r.max_ms,
    ttfb_p50_ms: r.ttfb_p50_ms,
    ttfb_p99_ms: r.ttfb_p99_ms,
    errors: r.errors,
    first_error: r.first_error,
    body_bytes_mean: Math.round(r.bodyBytes),
    gateway_cpu_us_per_req: per(r.cpu_us.gateway),
    gateway_main_thread_cpu_us_per_req: per(r.cpu_us.gatewayMain),
    upstream_cpu_us_per_req: r.requests ? r.cpu_us.upstream / r.requests : null,
    loadgen_cpu_us_per_req: r.requests ? r.cpu_us.loadgen / r.requests : null,
    // Busy CPU of the machine not spent by the processes of this cell (other engineers' work), in % of all cores.
    gateway_rss_mb_after: rssMb,
    other_cpu_pct: (100 * Math.max(0, r.cpu_us.machine - known)) / (r.seconds * 1e6 * os.cpus().length),
  };
}

/** Warden for the measured cells; with --diagnose-stalls it carries the (idle) profiler and a folder for its profile. */
async function startMeasuredWarden(fake) {
  if (!DIAGNOSE) return startWarden(fake);
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-llm-stall-'));
  const gw = await startWarden(fake, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${STALL_PRELOAD}`.trim(), WARDEN_BENCH_PROFILE_DIR: dir });
  return { ...gw, profileDir: dir };
}

async function measure(fake) {
  const session = createWorkloads();
  const targets = [directTarget(fake)];
  const ok = [];
  try {
    targets.push(await startMeasuredWarden(fake));
    if (NO_PORTKEY) log('Portkey skipped (--no-portkey)');
    else {
      const pk = await startPortkey(fake);
      if (pk) targets.push(pk);
      else log(`Portkey skipped: not installed at ${PORTKEY_JS} (run ../shared/bench/setup-peers.sh, or install @portkey-ai/gateway@1.15.2 with the @hono/node-server 1.13.5 override there)`);
    }
    if (FLOOR) for (const mode of ['bare', 'audited', 'checked', 'inline']) targets.push(await startFloorProxy(fake, mode));
    for (const t of targets) {
      const why = await sanity(t, session);
      if (why) log(`excluding ${t.name}: ${why}`);
      else ok.push(t);
    }
    if (!ok.some((t) => t.name === 'direct')) throw new Error('the fake upstream failed its own sanity check');
    console.log(`# llm-call: ${machine()}; load average ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
    console.log(`# command: node bench/llm-call.mjs ${args.join(' ')} (cells of ${DURATION_MS / 1000} s, warm-up ${WARMUP_MS / 1000} s per workload and mode, ${ROUNDS} round(s); targets: ${ok.map((t) => t.name).join(', ')}; Warden's node flags: ${gatewayNodeFlags().join(' ') || 'none'})`);
    for (const t of ok) {
      if (t.name === 'direct') continue;
      log(`warming up ${t.name}`);
      await cell(t, fake, session, { workload: 'short', mode: 'json', conns: 16, durationMs: 3 * WARMUP_MS });
      for (const workload of WORKLOAD_LIST) for (const mode of MODES) await cell(t, fake, session, { workload, mode, conns: 16, durationMs: WARMUP_MS });
    }
    const rows = [];
    const incidents = [];
    const starters = { warden: () => startMeasuredWarden(fake), portkey: () => startPortkey(fake), 'bare-proxy': () => startFloorProxy(fake, 'bare'), 'audited-proxy': () => startFloorProxy(fake, 'audited'), 'checked-proxy': () => startFloorProxy(fake, 'checked'), 'inline-proxy': () => startFloorProxy(fake, 'inline') };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const workload of WORKLOAD_LIST) {
        for (const mode of MODES) {
          for (const conns of CONNS) {
            for (let i = 0; i < ok.length; i++) {
              const t = ok[i];
              const spec = { workload, mode, conns, durationMs: DURATION_MS };
              const r = await cell(t, fake, session, spec);
              const line = jsonLine(round, t.name, spec, r, t.proc ? safe(() => Math.round(rssKiB(t.proc.pid) / 1024))() : null);
              if (line.errors > 0) log(`${t.name} ${workload} ${mode} c${conns}: ${line.errors} failed answers, first: ${line.first_error}`);
              rows.push(line);
              console.log(JSON.stringify(line));
              if (t.name === 'direct' || (alive(t) && line.requests > 0)) continue;
              // A target that died or answered nothing is replaced, so the rest of the run still measures it.
              const what = alive(t) ? `stopped answering (${line.errors} requests failed: ${line.first_error})` : `exited (${t.proc.exitCode ?? t.proc.signalCode})`;
              incidents.push({ round, workload, mode, conns, target: t.name, what });
              log(`${t.name} ${what} during ${workload} ${mode} c${conns}: restarting it`);
              if (t.profileDir) {
                if (await waitForStallFiles(t.profileDir)) printStallDiagnosis(t.profileDir, `stalled ${t.name} (pid ${t.proc.pid}) in ${workload} ${mode} c${conns}`, Number(process.env.TOP ?? 20));
                else log(`${t.name}: the stall profiler wrote nothing (its event loop never came round)`);
              }
              await t.stop();
              if (t.profileDir) rmSync(t.profileDir, { recursive: true, force: true });
              const replacement = await starters[t.name]().catch((err) => {
                log(`${t.name} could not be restarted (${err.message}): the rest of the run goes without it`);
                return null;
              });
              if (!replacement) {
                ok.splice(i--, 1);
                continue;
              }
              ok[i] = replacement;
              await cell(ok[i], fake, session, { workload: 'short', mode: 'json', conns: 16, durationMs: 3 * WARMUP_MS });
            }
          }
        }
      }
    }
    printReport(rows, { portkey: rows.some((r) => r.target === 'portkey'), incidents });
  } finally {
    for (const t of new Set([...targets, ...ok])) await t.stop();
  }
}

/** One workload (the short chat by default) against a gateway sampled by the V8 profiler, started after the warm-up. */
async function profile(fake) {
  const workload = opt('profile-workload', 'short');
  const mode = opt('profile-mode', 'json');
  const conns = Number(opt('profile-conns', 16));
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-llm-prof-'));
  const gw = await startWarden(fake, { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${PRELOAD}`.trim(), WARDEN_BENCH_PROFILE_DIR: dir });
  try {
    const session = createWorkloads();
    await cell(gw, fake, session, { workload, mode, conns, durationMs: 4 * Math.max(WARMUP_MS, 1000) });
    gw.proc.kill('SIGUSR2');
    const r = await cell(gw, fake, session, { workload, mode, conns, durationMs: DURATION_MS });
    await gw.stop();
    const line = jsonLine(0, 'warden', { workload, mode, conns }, r);
    console.log(`\n# profile run (${workload}, ${mode}, ${conns} connections, V8 sampling profiler attached): ${Math.round(line.rps)} req/s, gateway CPU ${Math.round(line.gateway_cpu_us_per_req)} µs/req`);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no profile');
    printProfile(summarizeProfile(join(dir, file)), Number(process.env.TOP ?? 25));
    if (process.env.KEEP_PROFILE) console.log(`\n(profile kept in ${dir})`);
  } finally {
    await gw.stop();
    if (!process.env.KEEP_PROFILE) rmSync(dir, { recursive: true, force: true });
  }
}

const fake = await startFake();
try {
  if (!PROFILE_ONLY) await measure(fake);
  if (PROFILE) await profile(fake);
} finally {
  fake.proc.kill('SIGTERM');
}

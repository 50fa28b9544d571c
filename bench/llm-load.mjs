// Closed-loop load for bench/llm-call.mjs, in the bench process: `conns` workers on an undici
// keep-alive Pool of `conns` connections, each with one request in flight, until the deadline.
// CPU is read from /proc for the processes under test only (user+sys of all their threads)
// around the measured window; the connections and each worker's first request (priming) are
// outside it.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { percentile } from './lib.mjs';

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

function statTicks(path) {
  const s = readFileSync(path, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** user+sys of a whole process, µs. */
export const processCpuUs = (pid) => statTicks(`/proc/${pid}/stat`) * TICK_US;
/** user+sys of a process's main thread only (JavaScript; not GC helpers, the libuv pool or worker threads), µs. */
export const mainThreadCpuUs = (pid) => statTicks(`/proc/${pid}/task/${pid}/stat`) * TICK_US;
/** Busy CPU of the whole machine, µs (all cores): to see what other work shared the run. */
export function machineBusyUs() {
  const f = readFileSync('/proc/stat', 'utf8').slice(0, 200).split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) * TICK_US;
}

/** How one answer is read and checked: whole JSON with usage, or an SSE stream ending in [DONE]. */
async function readAnswer(res, stream, t0) {
  if (!stream) {
    const text = await res.body.text();
    return { ok: res.statusCode === 200 && text.includes('"total_tokens"'), ttfb: NaN, sample: text };
  }
  let ttfb = NaN;
  let tail = '';
  for await (const chunk of res.body) {
    if (ttfb !== ttfb) ttfb = performance.now() - t0;
    tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 32))).slice(-32);
  }
  return { ok: res.statusCode === 200 && tail.endsWith('data: [DONE]\n\n'), ttfb, sample: tail };
}

/**
 * One cell. `session()` gives each worker its body source; `watch` maps names to CPU samplers
 * (µs), read at the start and end of the measured window. Only answers that passed their check
 * count as requests; the others are errors. `onStall(outstanding)` is called once when
 * requests are still out 3 s after the deadline, while the target is still in that state.
 */
export async function runCell({ origin, path, headers, conns, durationMs, stream, session, watch = {}, onStall = () => {} }) {
  const pool = new Pool(origin, { connections: conns, pipelining: 1, keepAliveTimeout: 60_000, keepAliveMaxTimeout: 60_000, bodyTimeout: 15_000, headersTimeout: 15_000 });
  const latency = [];
  const ttfb = [];
  let errors = 0;
  let firstError = null;
  const once = async (next, record) => {
    const body = next();
    const t0 = performance.now();
    try {
      const res = await pool.request({ method: 'POST', path, headers, body });
      const r = await readAnswer(res, stream, t0);
      const ms = performance.now() - t0;
      if (!r.ok) {
        errors++;
        firstError ??= `HTTP ${res.statusCode}: ${r.sample.slice(0, 300)}`;
      } else if (record) {
        latency.push(ms);
        if (stream) ttfb.push(r.ttfb);
      }
    } catch (err) {
      errors++;
      firstError ??= String(err?.message ?? err);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  try {
    const sessions = Array.from({ length: conns }, () => session());
    await Promise.all(sessions.map((next) => once(next, false)));
    errors = 0;
    firstError = null;
    const names = Object.keys(watch);
    const before = names.map((n) => watch[n]());
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    const deadline = t0 + durationMs;
    let outstanding = conns;
    const watchdog = setTimeout(() => onStall(outstanding), durationMs + 3000);
    await Promise.all(
      sessions.map(async (next) => {
        while (performance.now() < deadline) await once(next, true);
        outstanding--;
      }),
    );
    clearTimeout(watchdog);
    const seconds = (performance.now() - t0) / 1000;
    const selfCpu = process.cpuUsage(self0);
    const after = names.map((n) => watch[n]());
    const n = latency.length;
    const cpuUs = { loadgen: selfCpu.user + selfCpu.system };
    names.forEach((name, i) => (cpuUs[name] = after[i] - before[i]));
    const sortedLatency = Float64Array.from(latency).sort();
    const sortedTtfb = Float64Array.from(ttfb).sort();
    return {
      requests: n,
      seconds,
      rps: n / seconds,
      p50_ms: percentile(sortedLatency, 50),
      p99_ms: percentile(sortedLatency, 99),
      max_ms: n ? sortedLatency[n - 1] : NaN,
      ttfb_p50_ms: stream ? percentile(sortedTtfb, 50) : null,
      ttfb_p99_ms: stream ? percentile(sortedTtfb, 99) : null,
      errors,
      first_error: firstError,
      /** CPU spent in the window, µs, per watched name (and the load generator's own). */
      cpu_us: cpuUs,
    };
  } finally {
    await pool.close();
  }
}

// MCP `tools/call` through the gateway vs directly to the same upstream over Streamable HTTP,
// in one run: latency p50/p99, calls/s and CPU per call of the gateway (and of the upstream),
// with 1 and 16 concurrent clients, for raw 2026-07-28 JSON-RPC and the SDK v2 client of each
// era. The upstream (bench/mcp-echo-upstream.mjs) and the load (bench/mcp-load.mjs) are their
// own processes; CPU is read from /proc/<pid>/stat around the measured calls only.
// Policies on: agent key authentication, catalog authorization, audit at default durability.
// Run: npm run build && node bench/mcp-call.mjs [--floor] [--profile | --profile-only]
//   --floor: also measure, with the raw client, two reference proxies (bench/floor-proxy.mjs):
//   a bare passthrough and one that commits an audit row before answering, the least a
//   gateway bound by issue #2's "answer after commit" can cost on this machine.
//   --profile: afterwards, run the 16-client raw load against a gateway sampled by the V8
//   profiler (bench/mcp-cpu-prof-preload.mjs) and print where its main thread spends its time.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, listeningPort, machine, start, stop, summarize, workspace } from './lib.mjs';
import { printProfile, summarizeProfile } from './mcp-profile.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const N1 = Number(process.env.N ?? 3000);
const N16 = Number(process.env.N16 ?? 2 * N1);
// 2,000: the gateway's request path is still being tiered up by V8 after a few hundred calls, and the
// first series measured would otherwise pay for it.
const WARMUP = Number(process.env.WARMUP ?? 2000);
const CLIENTS = (process.env.CLIENTS ?? 'raw,sdk-modern,sdk-legacy').split(',');
const PROFILE_ONLY = process.argv.includes('--profile-only');
const PROFILE = PROFILE_ONLY || process.argv.includes('--profile');
const FLOOR = process.argv.includes('--floor');
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const UPSTREAM_ID = 'bench';
const TOOL = 'echo';
const GATEWAY_TOOL = `${UPSTREAM_ID}__${TOOL}`;

/** user+sys CPU from a stat(5) file, in microseconds (fields 14 and 15: utime, stime). */
function statCpuUs(path) {
  const stat = readFileSync(path, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
}

/** CPU of a whole process (all its threads), in microseconds. */
const cpuUs = (pid) => statCpuUs(`/proc/${pid}/stat`);
/** CPU of a process's main thread only (JavaScript, HTTP, logging; not the audit writer, GC helpers or libuv pool). */
const mainThreadCpuUs = (pid) => statCpuUs(`/proc/${pid}/task/${pid}/stat`);

function startUpstream() {
  return listening([join(HERE, 'mcp-echo-upstream.mjs')]);
}

/** Spawns a node script that prints "LISTENING <port>"; resolves with its process and /mcp URL. */
async function listening(argv) {
  const proc = spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  return { proc, url: `http://127.0.0.1:${await listeningPort(proc, 'upstream')}/mcp` };
}

const AGENT = ['schemaVersion: 1', 'id: bench-agent', 'displayName: Bench agent', 'owner: team-bench', 'description: Calls the echo tool', 'tools: { allow: ["*"] }', ''].join('\n');

function gatewayWorkspace(upstreamUrl) {
  const upstream = { id: UPSTREAM_ID, transport: 'http', url: upstreamUrl, internal: true, autoApprove: true, risk: [{ match: TOOL, class: 'read-only' }] };
  // Shedding on event-loop delay is off: a delay spike (other processes on the 2 cores) would
  // turn into refused calls instead of slow ones, and slow ones are what this measures.
  const config = `mcp: ${JSON.stringify({ upstreams: [upstream] })}\nlimits: { maxEventLoopDelayMs: 60000 }\n`;
  const ws = workspace({ catalog: '', config });
  writeFileSync(join(ws.dir, 'agents-catalog/bench-agent.yaml'), AGENT);
  return ws;
}

/** Upstreams connect in the background: wait until the agent sees the tool. */
async function waitForTool(url, key) {
  const deadline = Date.now() + 15_000;
  for (let id = 1; Date.now() < deadline; id++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${key}`, 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/list' },
      body: JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} } } }),
    });
    const text = await res.text();
    if (text.includes(`"${GATEWAY_TOOL}"`)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the gateway never listed ${GATEWAY_TOOL}`);
}

/** One load process: warm-up, then N measured calls with the servers' CPU sampled around them. */
async function load({ url, key, tool, client, clients, n, watch, onReady = () => {} }) {
  const proc = spawn(process.execPath, [join(HERE, 'mcp-load.mjs'), JSON.stringify({ url, key, tool, client, clients, n, warmup: WARMUP })], { stdio: ['pipe', 'pipe', 'inherit'] });
  // 'close', not 'exit': the result line (one sample per call) may still be in the pipe at exit.
  const exited = new Promise((resolve) => proc.once('close', resolve));
  let out = '';
  let before = null;
  const result = await new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      if (before === null && out.startsWith('READY\n')) {
        onReady();
        before = watch.map((sample) => sample());
        proc.stdin.write('GO\n');
      }
      const nl = out.indexOf('\n', 6);
      if (before !== null && nl > 0) {
        const after = watch.map((sample) => sample());
        resolve({ ...JSON.parse(out.slice(6, nl)), cpu: after.map((a, i) => a - before[i]) });
      }
    });
    exited.then((code) => reject(new Error(`load process exited with ${code}`)));
  });
  await exited;
  const s = summarize(result.samples);
  return { ...s, n, rps: n / result.seconds, clientCpu: result.clientCpuUs / n, cpuPerCall: result.cpu.map((us) => us / n) };
}

const f3 = (x) => x.toFixed(3);
const f0 = (x) => Math.round(x).toLocaleString('en-US');

async function main() {
  const upstream = await startUpstream();
  try {
    if (!PROFILE_ONLY) await measure(upstream);
    if (PROFILE) await profile(upstream.url);
  } finally {
    await stop(upstream.proc);
  }
}

async function measure(upstream) {
  const ws = gatewayWorkspace(upstream.url);
  const rows = [];
  let floorRows = null;
  let gw;
  try {
    const key = JSON.parse(cli(ws, ['agents', 'keys', 'create', 'bench-agent', '--json'])).key;
    gw = await start(ws);
    const gatewayUrl = `${gw.url}/mcp`;
    await waitForTool(gatewayUrl, key);
    console.log(`# mcp-call: ${machine()}`);
    console.log(`# command: node bench/mcp-call.mjs${PROFILE ? ' --profile' : ''} (N=${N1} calls at 1 client, ${N16} at 16 clients; gateway warmed with ${process.env.GATEWAY_WARMUP ?? 20000} calls, then ${WARMUP} warm-up calls per series)`);
    console.log('# policies on: agent key, catalog authorization (tools.allow ["*"]), audit at default durability; log level info');
    // The gateway is a long-running server: measure it warm. V8 keeps tiering up (TurboFan,
    // on a background thread) for some 10,000+ calls; measured before that, each call also pays
    // for compiling, most visibly at 1 client. One shared warm-up, then per-series warm-ups.
    const GATEWAY_WARMUP = Number(process.env.GATEWAY_WARMUP ?? 20000);
    if (GATEWAY_WARMUP > 0) {
      await load({ url: gatewayUrl, key, tool: GATEWAY_TOOL, client: 'raw', clients: 16, n: GATEWAY_WARMUP, watch: [() => 0] });
      if (CLIENTS.includes('sdk-legacy')) await load({ url: gatewayUrl, key, tool: GATEWAY_TOOL, client: 'sdk-legacy', clients: 16, n: 3000, watch: [() => 0] });
    }
    for (const client of CLIENTS) {
      for (const clients of [1, 16]) {
        const n = clients === 1 ? N1 : N16;
        const watch = [() => cpuUs(gw.proc.pid), () => cpuUs(upstream.proc.pid), () => mainThreadCpuUs(gw.proc.pid)];
        const direct = await load({ url: upstream.url, key, tool: TOOL, client, clients, n, watch });
        const through = await load({ url: gatewayUrl, key, tool: GATEWAY_TOOL, client, clients, n, watch });
        rows.push({ client, clients, direct, through });
      }
    }
    if (FLOOR) floorRows = await measureFloor(upstream, gw, key);
  } finally {
    if (gw) await stop(gw.proc);
    ws.cleanup();
  }

  console.log('\n| client | clients | path | p50 ms | p99 ms | calls/s | gateway CPU us/call (main thread) | upstream CPU us/call | client CPU us/call |');
  console.log('|---|--:|---|--:|--:|--:|--:|--:|--:|');
  for (const { client, clients, direct, through } of rows) {
    for (const [path, r] of [['direct', direct], ['gateway', through]]) {
      console.log(`| ${client} | ${clients} | ${path} | ${f3(r.p50)} | ${f3(r.p99)} | ${f0(r.rps)} | ${path === 'direct' ? '-' : `${f0(r.cpuPerCall[0])} (${f0(r.cpuPerCall[2])})`} | ${f0(r.cpuPerCall[1])} | ${f0(r.clientCpu)} |`);
    }
  }
  console.log('\nTargets (issue #3): added p50 <= 1 ms and p99 <= 3 ms at 1 client; gateway CPU <= 300 us per call; >= 60% of direct calls/s at 16 clients.');
  console.log('| client | added p50 ms (1 client) | added p99 ms (1 client) | gateway CPU us/call (1 / 16 clients) | calls/s ratio (16 clients) |');
  console.log('|---|--:|--:|--:|--:|');
  for (const client of CLIENTS) {
    const one = rows.find((r) => r.client === client && r.clients === 1);
    const many = rows.find((r) => r.client === client && r.clients === 16);
    const mark = (ok) => (ok ? '' : ' (miss)');
    const addP50 = one.through.p50 - one.direct.p50;
    const addP99 = one.through.p99 - one.direct.p99;
    const ratio = many.through.rps / many.direct.rps;
    const cpu1 = one.through.cpuPerCall[0];
    const cpu16 = many.through.cpuPerCall[0];
    console.log(
      `| ${client} | ${f3(addP50)}${mark(addP50 <= 1)} | ${f3(addP99)}${mark(addP99 <= 3)} | ${f0(cpu1)} / ${f0(cpu16)}${mark(Math.max(cpu1, cpu16) <= 300)} | ${ratio.toFixed(2)}x${mark(ratio >= 0.6)} |`,
    );
  }
  if (floorRows) printFloor(floorRows);
}

/** Raw client against the upstream, the two reference proxies and the gateway, back to back per concurrency. */
async function measureFloor(upstream, gw, key) {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-floor-'));
  const proxies = [];
  try {
    for (const mode of ['bare', 'audited']) proxies.push({ mode, ...(await listening([join(HERE, 'floor-proxy.mjs'), mode, upstream.url, join(dir, 'floor.db')])) });
    const out = [];
    for (const clients of [1, 16]) {
      const n = clients === 1 ? N1 : N16;
      const series = [{ path: 'direct', url: upstream.url, tool: TOOL, pid: null }, ...proxies.map((p) => ({ path: `${p.mode} proxy`, url: p.url, tool: GATEWAY_TOOL, pid: p.proc.pid })), { path: 'gateway', url: `${gw.url}/mcp`, tool: GATEWAY_TOOL, pid: gw.proc.pid }];
      for (const s of series) {
        const r = await load({ url: s.url, key, tool: s.tool, client: 'raw', clients, n, watch: [() => (s.pid ? cpuUs(s.pid) : 0)] });
        out.push({ clients, path: s.path, r });
      }
    }
    return out;
  } finally {
    await Promise.all(proxies.map((p) => stop(p.proc)));
    rmSync(dir, { recursive: true, force: true });
  }
}

function printFloor(rows) {
  console.log('\nFloor (raw client): what the hops alone cost here. "audited proxy" commits one audit row per answer before answering, as issue #2 requires.');
  console.log('| clients | path | p50 ms | p99 ms | calls/s | ratio to direct | proxy CPU us/call |');
  console.log('|--:|---|--:|--:|--:|--:|--:|');
  for (const { clients, path, r } of rows) {
    const direct = rows.find((d) => d.clients === clients && d.path === 'direct').r;
    console.log(`| ${clients} | ${path} | ${f3(r.p50)} | ${f3(r.p99)} | ${f0(r.rps)} | ${(r.rps / direct.rps).toFixed(2)}x | ${path === 'direct' ? '-' : f0(r.cpuPerCall[0])} |`);
  }
}

/** The 16-client raw load once more, against a gateway writing a CPU profile on exit. */
async function profile(upstreamUrl) {
  const ws = gatewayWorkspace(upstreamUrl);
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-prof-'));
  try {
    const key = JSON.parse(cli(ws, ['agents', 'keys', 'create', 'bench-agent', '--json'])).key;
    const saved = process.env.NODE_OPTIONS;
    process.env.NODE_OPTIONS = `${saved ?? ''} --import=${join(HERE, 'mcp-cpu-prof-preload.mjs')}`.trim();
    process.env.WARDEN_BENCH_PROFILE_DIR = dir;
    const gw = await start(ws);
    if (saved === undefined) delete process.env.NODE_OPTIONS;
    else process.env.NODE_OPTIONS = saved;
    delete process.env.WARDEN_BENCH_PROFILE_DIR;
    await waitForTool(`${gw.url}/mcp`, key);
    const startProfiler = () => gw.proc.kill('SIGUSR2');
    const profClients = Number(process.env.PROFILE_CLIENTS ?? 16);
    const profClient = process.env.PROFILE_CLIENT ?? 'raw';
    const r = await load({ url: `${gw.url}/mcp`, key, tool: GATEWAY_TOOL, client: profClient, clients: profClients, n: profClients === 1 ? N1 : N16, watch: [() => cpuUs(gw.proc.pid)], onReady: startProfiler });
    await stop(gw.proc);
    console.log(`\n# profile run (${profClient}, ${profClients} client(s), V8 sampling profiler attached): ${f0(r.rps)} calls/s, gateway CPU ${f0(r.cpuPerCall[0])} us/call`);
    const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
    if (!file) throw new Error('the gateway wrote no profile');
    printProfile(summarizeProfile(join(dir, file)), Number(process.env.TOP ?? 25));
    if (process.env.KEEP_PROFILE) console.log(`\n(profile kept in ${dir})`);
  } finally {
    ws.cleanup();
    if (!process.env.KEEP_PROFILE) rmSync(dir, { recursive: true, force: true });
  }
}

await main();

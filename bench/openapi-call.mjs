// Per-call overhead of an OpenAPI tool: tools/call through the gateway (MCP 2026-07-28, raw
// JSON-RPC, agent key, catalog authorization, argument validation, request building, egress
// with the address check, audit at default durability) vs the same GET sent directly to the
// API, in one run, at 1 and 16 clients. The API, the gateway and the load are three processes.
// Run: npm run build && node bench/openapi-call.mjs
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, machine, start, stop, summarize, workspace } from './lib.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const N = Number(process.env.N ?? 3000);
const WARMUP = Number(process.env.WARMUP ?? 3000);
const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const cpuUs = (pid) => {
  const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) * TICK_US;
};

const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Bench items', version: '1' },
  paths: {
    '/items/{id}': {
      get: {
        operationId: 'getItem',
        parameters: [
          { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
          { name: 'q', in: 'query', schema: { type: 'string' } },
        ],
        responses: { 200: { description: 'ok' } },
      },
    },
  },
};
const AGENT = ['schemaVersion: 1', 'id: bench-agent', 'displayName: Bench agent', 'owner: team-bench', 'description: Calls the items API', 'tools: { allow: ["bench__*"] }', ''].join('\n');

function startApi() {
  const proc = spawn(process.execPath, [join(HERE, 'openapi-echo-api.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve) => proc.stdout.once('data', (d) => resolve({ proc, origin: `http://127.0.0.1:${/LISTENING (\d+)/.exec(String(d))[1]}` })));
}

function load(opts, watch) {
  const proc = spawn(process.execPath, [join(HERE, 'openapi-load.mjs'), JSON.stringify({ ...opts, warmup: WARMUP })], { stdio: ['pipe', 'pipe', 'inherit'] });
  const closed = new Promise((r) => proc.once('close', r));
  let out = '';
  let before = null;
  return new Promise((resolve, reject) => {
    proc.stdout.on('data', (d) => {
      out += d;
      if (before === null && out.startsWith('READY\n')) {
        before = watch.map((f) => f());
        proc.stdin.write('GO\n');
      }
      const nl = out.indexOf('\n', 6);
      if (before !== null && nl > 0) {
        const after = watch.map((f) => f());
        const r = JSON.parse(out.slice(6, nl));
        closed.then(() => resolve({ ...summarize(r.samples), rps: opts.n / r.seconds, cpu: after.map((a, i) => (a - before[i]) / opts.n) }));
      }
    });
    closed.then((code) => before === null && reject(new Error(`load exited ${code}`)));
  });
}

const api = await startApi();
const ws = workspace({ catalog: '', config: 'limits: { maxEventLoopDelayMs: 60000 }\n' });
let gw;
try {
  writeFileSync(join(ws.dir, 'agents-catalog/bench-agent.yaml'), AGENT);
  mkdirSync(join(ws.dir, 'openapi-imports'), { recursive: true });
  writeFileSync(join(ws.dir, 'openapi-imports/bench.json'), JSON.stringify(SPEC));
  writeFileSync(join(ws.dir, 'openapi-imports/bench.warden.yaml'), `baseUrl: ${api.origin}/v1\ninternal: true\nallowHttp: true\n`);
  const key = JSON.parse(cli(ws, ['agents', 'keys', 'create', 'bench-agent', '--json'])).key;
  gw = await start(ws);
  for (let i = 0; i < 100 && (await fetch(`${gw.url}/readyz`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 100));
  console.log(`# openapi-call: ${machine()}`);
  console.log(`# command: node bench/openapi-call.mjs (N=${N} measured calls per series after ${WARMUP} warm-up calls; audit durability normal, log level info)`);
  // Warm the gateway's request path (V8 tiers it up over thousands of calls).
  await load({ mode: 'mcp', origin: gw.url, key, clients: 16, n: 10_000 }, [() => 0]);
  const rows = [];
  for (const clients of [1, 16]) {
    const watch = [() => cpuUs(gw.proc.pid), () => cpuUs(api.proc.pid)];
    const direct = await load({ mode: 'direct', origin: api.origin, key, clients, n: N }, watch);
    const through = await load({ mode: 'mcp', origin: gw.url, key, clients, n: N }, watch);
    rows.push({ clients, direct, through });
  }
  const f3 = (x) => x.toFixed(3);
  const f0 = (x) => Math.round(x).toLocaleString('en-US');
  console.log('\n| clients | path | p50 ms | p99 ms | calls/s | gateway CPU us/call | API CPU us/call |');
  console.log('|--:|---|--:|--:|--:|--:|--:|');
  for (const { clients, direct, through } of rows) {
    console.log(`| ${clients} | direct GET | ${f3(direct.p50)} | ${f3(direct.p99)} | ${f0(direct.rps)} | - | ${f0(direct.cpu[1])} |`);
    console.log(`| ${clients} | tools/call via gateway | ${f3(through.p50)} | ${f3(through.p99)} | ${f0(through.rps)} | ${f0(through.cpu[0])} | ${f0(through.cpu[1])} |`);
  }
  const one = rows[0];
  const added = one.through.p50 - one.direct.p50;
  console.log(`\nAdded p50 at 1 client: ${f3(added)} ms (target, issue #4: at most 1 ms)${added <= 1 ? '' : ' MISSED'}; added p99: ${f3(one.through.p99 - one.direct.p99)} ms.`);
} finally {
  if (gw) await stop(gw.proc);
  api.proc.kill();
  ws.cleanup();
}

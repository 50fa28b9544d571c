// Load generator for bench/mcp-call.mjs, run as its own process so its CPU never counts as the
// gateway's. Argument: one JSON object {url, key, tool, client, clients, n, warmup}. After the
// warm-up it prints "READY" and waits for "GO" on stdin (the parent samples the servers' CPU
// around the measured part), then prints one JSON line with the results and exits.
//   client "raw": hand-written 2026-07-28 JSON-RPC POSTs on an undici keep-alive pool
//   client "sdk-modern" / "sdk-legacy": the SDK v2 Client pinned to 2026-07-28 / 2025-11-25
import { createInterface } from 'node:readline';
import { performance } from 'node:perf_hooks';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { Pool } from 'undici';

const opts = JSON.parse(process.argv[2]);

// Repeated warnings (the SDK client adds an abort listener per call to a long-lived signal)
// would flood the table: show each kind once.
const warned = new Set();
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (warned.has(w.name)) return;
  warned.add(w.name);
  process.stderr.write(`[${opts.client}, ${opts.clients} clients] ${w.name}: ${w.message}\n`);
});
const MODERN = '2026-07-28';

/** One raw caller: returns a function making one tools/call and checking its answer. */
function rawCaller(pool) {
  let id = 0;
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    authorization: `Bearer ${opts.key}`,
    'mcp-protocol-version': MODERN,
    'mcp-method': 'tools/call',
    'mcp-name': opts.tool,
  };
  const meta = {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': { name: 'bench-raw', version: '1.0.0' },
    'io.modelcontextprotocol/clientCapabilities': {},
  };
  const path = new URL(opts.url).pathname;
  return async () => {
    const myId = ++id;
    const body = JSON.stringify({ jsonrpc: '2.0', id: myId, method: 'tools/call', params: { name: opts.tool, arguments: { message: 'hello' }, _meta: meta } });
    const res = await pool.request({ method: 'POST', path, headers, body });
    let text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    // The gateway may answer as an SSE stream; the response is its last data line.
    if (!text.startsWith('{')) text = text.split('\n').filter((l) => l.startsWith('data:')).pop()?.slice(5) ?? '';
    const msg = JSON.parse(text);
    if (msg.id !== myId || msg.result?.content?.[0]?.text !== 'hello') throw new Error(`unexpected answer: ${text.slice(0, 300)}`);
  };
}

async function sdkCaller(era) {
  const client = new Client({ name: `bench-${era}`, version: '1.0.0' }, { capabilities: {}, versionNegotiation: { mode: era === 'modern' ? { pin: MODERN } : 'legacy' } });
  const transport = new StreamableHTTPClientTransport(new URL(opts.url), { requestInit: { headers: { authorization: `Bearer ${opts.key}` } } });
  await client.connect(transport);
  const call = async () => {
    const r = await client.callTool({ name: opts.tool, arguments: { message: 'hello' } });
    if (r.content?.[0]?.text !== 'hello') throw new Error(`unexpected answer: ${JSON.stringify(r).slice(0, 300)}`);
  };
  return { call, close: () => client.close() };
}

async function makeCallers() {
  if (opts.client === 'raw') {
    const pool = new Pool(new URL(opts.url).origin, { connections: opts.clients, keepAliveTimeout: 60_000 });
    const callers = Array.from({ length: opts.clients }, () => rawCaller(pool));
    return { callers, close: () => pool.close() };
  }
  const era = opts.client === 'sdk-modern' ? 'modern' : 'legacy';
  const sdk = await Promise.all(Array.from({ length: opts.clients }, () => sdkCaller(era)));
  return { callers: sdk.map((s) => s.call), close: () => Promise.all(sdk.map((s) => s.close())) };
}

/** `total` calls shared by all callers, each caller sequential (one call in flight per client). */
async function drive(callers, total, samples) {
  let started = 0;
  await Promise.all(
    callers.map(async (call) => {
      while (started < total) {
        started++;
        const t0 = performance.now();
        await call();
        samples?.push(performance.now() - t0);
      }
    }),
  );
}

const { callers, close } = await makeCallers();
await drive(callers, opts.warmup, null);
process.stdout.write('READY\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const samples = [];
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await drive(callers, opts.n, samples);
const seconds = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
// Pipes are asynchronous: exit only once the (large) result line has been handed over.
await new Promise((resolve) => process.stdout.write(JSON.stringify({ samples, seconds, clientCpuUs: cpu.user + cpu.system }) + '\n', resolve));
await close();
process.exit(0);

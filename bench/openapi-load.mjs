// Load generator for bench/openapi-call.mjs (its own process). Argument: JSON
// {mode: 'direct' | 'mcp', origin, key, clients, n, warmup}. direct: GET /v1/items/{id}?q=
// on an undici keep-alive pool; mcp: the same operation as a 2026-07-28 tools/call through the
// gateway. Prints READY after the warm-up, waits for GO, then one JSON line of samples.
import { createInterface } from 'node:readline';
import { Pool } from 'undici';

const o = JSON.parse(process.argv[2]);
const pool = new Pool(o.origin, { connections: o.clients, keepAliveTimeout: 60_000 });
const MODERN = '2026-07-28';
const meta = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'bench', version: '1' }, 'io.modelcontextprotocol/clientCapabilities': {} };
let seq = 0;

async function direct() {
  const id = `item-${++seq}`;
  const res = await pool.request({ method: 'GET', path: `/v1/items/${id}?q=lamp` });
  const body = await res.body.json();
  if (res.statusCode !== 200 || body.id !== id) throw new Error(`unexpected answer ${res.statusCode}`);
}

async function mcp() {
  const id = `item-${++seq}`;
  const res = await pool.request({
    method: 'POST',
    path: '/mcp',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${o.key}`, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'bench__getItem' },
    body: JSON.stringify({ jsonrpc: '2.0', id: seq, method: 'tools/call', params: { name: 'bench__getItem', arguments: { id, q: 'lamp' }, _meta: meta } }),
  });
  const text = await res.body.text();
  const msg = JSON.parse(text.startsWith('{') ? text : text.split('\n').filter((l) => l.startsWith('data:')).pop().slice(5));
  if (msg.result?.structuredContent?.id !== id) throw new Error(`unexpected answer: ${text.slice(0, 300)}`);
}

const call = o.mode === 'direct' ? direct : mcp;
async function drive(total, samples) {
  let started = 0;
  await Promise.all(
    Array.from({ length: o.clients }, async () => {
      while (started < total) {
        started++;
        const t0 = performance.now();
        await call();
        samples?.push(performance.now() - t0);
      }
    }),
  );
}
await drive(o.warmup, null);
process.stdout.write('READY\n');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const samples = [];
const t0 = performance.now();
await drive(o.n, samples);
const seconds = (performance.now() - t0) / 1000;
await new Promise((resolve) => process.stdout.write(JSON.stringify({ samples, seconds }) + '\n', resolve));
await pool.close();
process.exit(0);

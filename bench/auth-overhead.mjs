// What an authenticated no-op request (/v1/whoami: authenticate, authorize, forward, audit
// commit) adds over an unauthenticated health check, against the real gateway process,
// sequentially on one keep-alive connection, at each audit durability level.
// Run: npm run build && node bench/auth-overhead.mjs
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { cli, machine, start, stop, summarize, workspace } from './lib.mjs';

const N = Number(process.env.N ?? 3000);
const WARMUP = 300;
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function get(url, headers) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get(url, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}`))));
      })
      .on('error', reject);
  });
}

async function series(url, headers, n) {
  for (let i = 0; i < WARMUP; i++) await get(url, headers);
  const out = [];
  for (let i = 0; i < n; i++) out.push(await get(url, headers));
  return summarize(out);
}

async function concurrent(url, headers, total, c) {
  const pool = new http.Agent({ keepAlive: true, maxSockets: c });
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (done < total) {
        done++;
        await new Promise((resolve, reject) =>
          http.get(url, { agent: pool, headers }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject),
        );
      }
    }),
  );
  pool.destroy();
  return total / ((performance.now() - t0) / 1000);
}

const fmt = (x) => x.toFixed(3);
console.log(`# auth-overhead: ${machine()}`);
console.log(`# N=${N} sequential requests per series after ${WARMUP} warm-up, one keep-alive connection`);
console.log('| durability | endpoint | mean ms | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms | req/s at c=16 |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const durability of ['normal', 'full']) {
  const ws = workspace({ config: `audit: { durability: ${durability} }\n` });
  try {
    const key = JSON.parse(cli(ws, ['agents', 'keys', 'create', 'support-triage', '--json'])).key;
    const gw = await start(ws);
    const auth = { authorization: `Bearer ${key}` };
    const health = await series(`${gw.url}/healthz`, {}, N);
    const whoami = await series(`${gw.url}/v1/whoami`, auth, N);
    const healthRps = await concurrent(`${gw.url}/healthz`, {}, 5000, 16);
    const whoamiRps = await concurrent(`${gw.url}/v1/whoami`, auth, 5000, 16);
    console.log(`| ${durability} | /healthz (baseline) | ${fmt(health.mean)} | ${fmt(health.p50)} | ${fmt(health.p90)} | ${fmt(health.p99)} | - | - | ${healthRps.toFixed(0)} |`);
    console.log(`| ${durability} | /v1/whoami | ${fmt(whoami.mean)} | ${fmt(whoami.p50)} | ${fmt(whoami.p90)} | ${fmt(whoami.p99)} | ${fmt(whoami.p50 - health.p50)} | ${fmt(whoami.p99 - health.p99)} | ${whoamiRps.toFixed(0)} |`);
    await stop(gw.proc);
  } finally {
    ws.cleanup();
  }
}
agent.destroy();

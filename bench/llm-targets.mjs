// The processes bench/llm-call.mjs measures, each its own process on 127.0.0.1: the fake
// OpenAI upstream (record off, approximate usage), Warden in front of it with an agent key and its governance
// on, the Portkey open-source gateway pointed at it (installed as
// ../shared/bench/setup-peers.sh does, under $PEERS_DIR, default /tmp/peers), and with --floor
// the three reference proxies of bench/floor-proxy.mjs.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cli, CLI, gatewayNodeFlags, listeningPort, workspace } from './lib.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** The provider key Warden injects and the fake requires: proves the key reached the upstream. */
export const UPSTREAM_KEY = 'sk-bench-upstream';
const KEY_ENV = 'WARDEN_BENCH_FAKE_KEY';
export const PORTKEY_JS = join(process.env.PEERS_DIR || '/tmp/peers', 'portkey/node_modules/@portkey-ai/gateway/build/start-server.js');
const MODELS = ['gpt-4o-mini', 'gpt-4o', 'gpt-4.1-mini'];

const children = new Set();
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function track(proc) {
  children.add(proc);
  proc.once('exit', () => children.delete(proc));
  return proc;
}

async function freePort() {
  const srv = createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

/** Polls until `url` answers (any status when `anyStatus`, else 200), or the process dies. */
async function waitHttp(url, proc, { anyStatus = false, timeoutMs = 30_000 } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`${url}: the process exited with ${proc.exitCode}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (anyStatus || res.status === 200) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

export async function stopProcess(proc) {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise((r) => proc.once('exit', r));
  proc.kill('SIGTERM');
  const timer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

export async function startFake() {
  // Usage at about four bytes a token: counting each prompt exactly would cost the fake up to
  // 1 ms of CPU per 64 KB request, and the upstream, not the gateways, would set the pace.
  const proc = track(spawn(process.execPath, [join(HERE, 'fake-openai.mjs'), '--port=0', `--api-key=${UPSTREAM_KEY}`, '--approx-tokens'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  const port = await new Promise((resolve, reject) => {
    proc.stdout.once('data', (d) => {
      const m = /LISTENING (\d+)/.exec(String(d));
      m ? resolve(Number(m[1])) : reject(new Error(`fake said: ${d}`));
    });
    proc.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
  });
  return { name: 'fake', proc, origin: `http://127.0.0.1:${port}`, url: `http://127.0.0.1:${port}/v1` };
}

// Rate limits far above what two cores can send, so the rate-limit and token-rate policies do
// their bookkeeping on every request without ever refusing one.
const AGENT = [
  'schemaVersion: 1',
  'id: bench-agent',
  'displayName: Bench agent',
  'owner: team-bench',
  'description: Calls the fake model',
  `models: { allow: ${JSON.stringify(MODELS)} }`,
  'rateLimits: { requestsPerMinute: 100000000, tokensPerMinute: 1000000000000, concurrent: 100000 }',
  '',
].join('\n');

/**
 * Warden with one internal provider (the fake) and one agent allowed its models, with rate
 * limits it never reaches (no budgets: issue #5 measures without them). Access logs
 * are at warn so they do not dominate; load shedding on event-loop delay is off, since a
 * delay spike from the other processes sharing the cores would turn slow answers into refusals.
 * `env` is added to the gateway's environment (the profiler's preload goes there); `nodeFlags`
 * are added to npm start's node flags; `onStdout(chunk)` receives the gateway's stdout.
 */
export async function startWarden(fake, env = {}, { nodeFlags = [], onStdout = null } = {}) {
  const ws = workspace({ catalog: '' });
  const llm = { providers: [{ id: 'fake', baseUrl: fake.url, internal: true, apiKey: { env: KEY_ENV }, models: MODELS.map((name) => ({ name })) }] };
  writeFileSync(ws.config, ['listen: { host: 127.0.0.1, port: 0 }', 'log: { level: warn, pretty: never }', 'limits: { maxEventLoopDelayMs: 60000 }', `llm: ${JSON.stringify(llm)}`, ''].join('\n'));
  writeFileSync(join(ws.dir, 'agents-catalog/bench-agent.yaml'), AGENT);
  // An empty imports folder, as `warden init` makes. (Without one, an earlier OpenApiImports.watch()
  // added a rescan interval on every rescan and stalled an idle gateway after about 100 s; this
  // benchmark found it, src/openapi/openapi-imports-watch.test.ts keeps it fixed.)
  mkdirSync(join(ws.dir, 'openapi-imports'));
  const key = JSON.parse(cli(ws, ['agents', 'keys', 'create', 'bench-agent', '--json'])).key;
  const port = await freePort();
  const proc = track(
    spawn(process.execPath, [...gatewayNodeFlags(), ...nodeFlags, CLI, 'start', '--config', ws.config, '--port', String(port)], {
      cwd: ws.dir,
      env: { ...process.env, [KEY_ENV]: UPSTREAM_KEY, ...env },
      // Its output goes to stderr: stdout carries the bench's JSON lines and tables. `onStdout`
      // gets the gateway's stdout instead (read from the start, so it never blocks the gateway),
      // e.g. V8's GC trace.
      stdio: ['ignore', onStdout ? 'pipe' : 2, 2],
    }),
  );
  if (onStdout) proc.stdout.on('data', onStdout);
  const origin = `http://127.0.0.1:${port}`;
  try {
    await waitHttp(`${origin}/readyz`, proc);
  } catch (err) {
    await stopProcess(proc);
    ws.cleanup();
    throw err;
  }
  return {
    name: 'warden',
    proc,
    origin,
    dataDir: join(ws.dir, 'data'),
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    stop: async () => {
      await stopProcess(proc);
      ws.cleanup();
    },
  };
}

/** Portkey, or null when it is not installed. It binds every interface (it has no host option); requests go to 127.0.0.1. */
export async function startPortkey(fake) {
  if (!existsSync(PORTKEY_JS)) return null;
  const port = await freePort();
  const proc = track(spawn(process.execPath, [PORTKEY_JS, `--port=${port}`, '--headless'], { env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'ignore', 'inherit'] }));
  const origin = `http://127.0.0.1:${port}`;
  await waitHttp(`${origin}/`, proc, { anyStatus: true });
  return {
    name: 'portkey',
    proc,
    origin,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}`, 'x-portkey-provider': 'openai', 'x-portkey-custom-host': fake.url },
    stop: () => stopProcess(proc),
  };
}

/**
 * A reference proxy of bench/floor-proxy.mjs (`bare`, `audited` or `inline`) in front of the fake: what the
 * hops alone cost on this machine, measured in the same run as Warden. Not part of Warden.
 */
export async function startFloorProxy(fake, mode) {
  const dir = mkdtempSync(join(tmpdir(), 'warden-llm-floor-'));
  // WARDEN_BENCH_FLOOR_NODE_FLAGS, e.g. "--cpu-prof --cpu-prof-dir=DIR", to profile the floor too.
  const flags = (process.env.WARDEN_BENCH_FLOOR_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const proc = track(spawn(process.execPath, [...flags, join(HERE, 'floor-proxy.mjs'), mode, fake.origin, join(dir, 'floor.db'), `--llm=${UPSTREAM_KEY}`], { stdio: ['ignore', 'pipe', 'inherit'] }));
  let port;
  try {
    port = await listeningPort(proc, 'floor proxy');
  } catch (err) {
    await stopProcess(proc);
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    name: `${mode}-proxy`,
    proc,
    origin: `http://127.0.0.1:${port}`,
    headers: { 'content-type': 'application/json' },
    stop: async () => {
      await stopProcess(proc);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function directTarget(fake) {
  return { name: 'direct', proc: null, origin: fake.origin, headers: { 'content-type': 'application/json', authorization: `Bearer ${UPSTREAM_KEY}` }, stop: async () => {} };
}

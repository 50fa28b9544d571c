// Reference proxies for `bench/mcp-call.mjs --floor` and `bench/llm-call.mjs --floor`: the least
// a proxy can do, to show what this machine charges for the hops alone. Not part of Warden.
//   bare:    node:http in, parse the JSON body, undici keep-alive pool out. MCP: rename the tool
//            and forward the re-serialized call. LLM (--llm): forward the received bytes to the
//            same path with the provider key; an SSE answer is relayed chunk by chunk as it arrives.
//   audited: the same, plus what issue #2 requires of every answer: one audit row (no index in
//            the commit, as Warden's audit_events; SHA-256 of the record) committed by a worker thread in WAL at
//            synchronous=NORMAL, batched per event-loop turn, before the answer is written
//            (LLM: a JSON answer is written whole after the commit; a stream's last read is
//            held back until it, as Warden holds the last event).
//   inline:  audited, but the commit runs synchronously on the event loop (not allowed in
//            Warden; it shows what the hand-off to the writer thread costs).
//   checked: audited, plus the checks of a request body Warden cannot forward without (LLM
//            only, with Warden's own helpers from dist/: valid UTF-8, nesting depth and no
//            repeated key, then JSON.parse of the text), and the body's SHA-256 for the record
//            computed after the request left, off the answer's path.
// Usage: node bench/floor-proxy.mjs <bare|audited|checked|inline> <upstream url> [sqlite file] [--llm=<provider key>];
// prints "LISTENING <port>".
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';

const [mode, upstreamUrl, dbFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const llmKey = process.argv.find((a) => a.startsWith('--llm='))?.slice(6) ?? null;
const upstream = new URL(upstreamUrl);
const pool = new Pool(upstream.origin, { connections: 128 });
const UPSTREAM_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

// The store both audited modes use: in the writer thread (its source is sent there), or inline.
function openStore(Database, file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  // No secondary index in the commit, as in Warden since its query lookup (its indexes are
  // filled later, in batches); runs J and J1 (docs/benchmarks.md) used a floor with four here.
  db.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time TEXT, agent_id TEXT, target TEXT, trace_id TEXT, body TEXT, hash TEXT);');
  const insert = db.prepare('INSERT INTO events (time, agent_id, target, trace_id, body, hash) VALUES (?, ?, ?, ?, ?, ?)');
  return db.transaction((rows) => { for (const r of rows) insert.run(r.time, r.agent, r.target, r.trace, r.body, r.hash); });
}
const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const commit = (${openStore.toString()})(require(workerData.sqlite), workerData.file);
parentPort.on('message', ({ id, json }) => { commit(JSON.parse(json)); parentPort.postMessage(id); });
`;

/**
 * Group commit: rows appended in one event-loop turn are committed together by `commit(rows, done)`,
 * which calls `done()` once they are; each append resolves then.
 */
function groupCommit(commit) {
  let rows = [];
  let waiters = [];
  const flush = () => {
    const batch = waiters;
    commit(rows, () => {
      for (const done of batch) done();
    });
    rows = [];
    waiters = [];
  };
  return (row) =>
    new Promise((resolve) => {
      if (rows.length === 0) setImmediate(flush);
      rows.push(row);
      waiters.push(resolve);
    });
}

/** Audited: the writer thread commits each turn's rows (one JSON string per message). */
function auditWriter() {
  const worker = new Worker(WRITER, { eval: true, workerData: { file: dbFile, sqlite: SQLITE } });
  const pending = new Map();
  let nextId = 0;
  worker.on('message', (id) => {
    pending.get(id)();
    pending.delete(id);
  });
  return groupCommit((rows, done) => {
    const id = ++nextId;
    pending.set(id, done);
    worker.postMessage({ id, json: JSON.stringify(rows) });
  });
}

/**
 * Inline: the same group commit, done synchronously on the event loop (no thread hand-off).
 * Warden may not do this (no synchronous disk I/O on the request path); it shows what the
 * hand-off to a writer thread costs here.
 */
function auditInline() {
  const commit = openStore(createRequire(import.meta.url)(SQLITE), dbFile);
  return groupCommit((rows, done) => {
    commit(rows);
    done();
  });
}

const MODES = { bare: () => null, audited: auditWriter, inline: auditInline, checked: auditWriter };
if (!Object.hasOwn(MODES, mode)) throw new Error(`mode must be bare, audited, checked or inline, not ${mode}`);
const append = MODES[mode]();

const server = createServer((req, res) => (llmKey === null ? mcpCall(req, res) : llmCall(req, res)));

function mcpCall(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const msg = JSON.parse(Buffer.concat(chunks));
    if (typeof msg.params?.name === 'string') msg.params.name = msg.params.name.replace(/^bench__/, '');
    const answer = await pool.request({ path: upstream.pathname, method: 'POST', headers: UPSTREAM_HEADERS, body: JSON.stringify(msg) });
    const text = await answer.body.text();
    if (append) {
      const body = JSON.stringify({ arguments: msg.params?.arguments, status: answer.statusCode, bytes: text.length });
      await append({ time: new Date().toISOString(), agent: 'bench-agent', target: 'bench__echo', trace: String(msg.id), body, hash: createHash('sha256').update(body).digest('hex') });
    }
    res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
    res.end(text);
  });
}

const LLM_HEADERS = { 'content-type': 'application/json', authorization: `Bearer ${llmKey}` };

// What issue #2 requires, as Warden does it: a JSON answer leaves whole after the commit; a
// stream's events are relayed as they arrive, the last read held back until the commit.
function llmCall(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    relayLlm(req, res, Buffer.concat(chunks)).catch(() => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' }).end('{"error":{"message":"floor proxy: upstream failed"}}');
      else res.destroy();
    });
  });
}

const checks = mode === 'checked' ? await import('./floor-checks.mjs') : null;

async function relayLlm(req, res, received) {
  const msg = checks ? checks.checkedJson(received) : JSON.parse(received);
  const sent = pool.request({ path: req.url, method: 'POST', headers: LLM_HEADERS, body: received });
  // After undici's own setImmediate, which writes the request: hashed while the upstream works.
  const digest = checks ? new Promise((resolve) => setImmediate(() => resolve(createHash('sha256').update(received).digest('hex')))) : null;
  const answer = await sent;
  const requestDigest = digest ? await digest : null;
  const audit = (bytes) => {
    if (!append) return undefined;
    const body = JSON.stringify({ model: msg.model, stream: msg.stream === true, status: answer.statusCode, bytes, requestDigest });
    return append({ time: new Date().toISOString(), agent: 'bench-agent', target: String(msg.model), trace: req.url, body, hash: createHash('sha256').update(body).digest('hex') });
  };
  if (msg.stream !== true) {
    const body = Buffer.from(await answer.body.arrayBuffer());
    await audit(body.length);
    res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
    return;
  }
  res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/event-stream') });
  let bytes = 0;
  let held = null;
  for await (const chunk of answer.body) {
    bytes += chunk.length;
    if (held) res.write(held);
    held = chunk;
  }
  await audit(bytes);
  res.end(held ?? undefined);
}
// A normal exit on the bench's SIGTERM, so that `--cpu-prof` writes its profile.
process.on('SIGTERM', () => process.exit(0));
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));

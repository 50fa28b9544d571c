// Reference proxies for `bench/mcp-call.mjs --floor` and `bench/llm-call.mjs --floor`: the least
// a proxy can do, to show what this machine charges for the hops alone. Not part of Warden.
//   bare:    node:http in, parse the JSON body, undici keep-alive pool out. MCP: rename the tool
//            and forward the re-serialized call. LLM (--llm): forward the received bytes to the
//            same path with the provider key; an SSE answer is relayed chunk by chunk as it arrives.
//   audited: the same, plus what issue #2 requires of every answer: one audit row (4 indexes,
//            like audit_events; SHA-256 of the record) committed by a worker thread in WAL at
//            synchronous=NORMAL, batched per event-loop turn, before the answer is written
//            (for a stream: before its end).
// Usage: node bench/floor-proxy.mjs <bare|audited> <upstream url> [sqlite file] [--llm=<provider key>];
// prints "LISTENING <port>".
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { Pool } from 'undici';

const [mode, upstreamUrl, dbFile] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const llmKey = process.argv.find((a) => a.startsWith('--llm='))?.slice(6) ?? null;
const upstream = new URL(upstreamUrl);
const pool = new Pool(upstream.origin, { connections: 32 });
const UPSTREAM_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2026-07-28', 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

const WRITER = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.exec('CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time TEXT, agent_id TEXT, target TEXT, trace_id TEXT, body TEXT, hash TEXT);'
  + 'CREATE INDEX IF NOT EXISTS ev_agent ON events(agent_id); CREATE INDEX IF NOT EXISTS ev_target ON events(target);'
  + 'CREATE INDEX IF NOT EXISTS ev_time ON events(time); CREATE INDEX IF NOT EXISTS ev_trace ON events(trace_id);');
const insert = db.prepare('INSERT INTO events (time, agent_id, target, trace_id, body, hash) VALUES (?, ?, ?, ?, ?, ?)');
const commit = db.transaction((rows) => { for (const r of rows) insert.run(r.time, r.agent, r.target, r.trace, r.body, r.hash); });
parentPort.on('message', ({ id, json }) => { commit(JSON.parse(json)); parentPort.postMessage(id); });
`;

/** Group commit: rows of one event-loop turn go to the writer together; each caller waits for its commit. */
function auditWriter() {
  const worker = new Worker(WRITER, { eval: true, workerData: { file: dbFile, sqlite: createRequire(import.meta.url).resolve('better-sqlite3') } });
  const pending = new Map();
  let rows = [];
  let waiters = [];
  let nextId = 0;
  worker.on('message', (id) => {
    for (const done of pending.get(id)) done();
    pending.delete(id);
  });
  const flush = () => {
    const id = ++nextId;
    pending.set(id, waiters);
    worker.postMessage({ id, json: JSON.stringify(rows) });
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

const append = mode === 'audited' ? auditWriter() : null;
if (mode !== 'bare' && mode !== 'audited') throw new Error(`mode must be bare or audited, not ${mode}`);

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

function llmCall(req, res) {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', async () => {
    const received = Buffer.concat(chunks);
    const msg = JSON.parse(received);
    const answer = await pool.request({ path: req.url, method: 'POST', headers: LLM_HEADERS, body: received });
    let bytes = 0;
    if (msg.stream === true) {
      res.writeHead(answer.statusCode, { 'content-type': String(answer.headers['content-type'] ?? 'text/event-stream') });
      for await (const chunk of answer.body) {
        bytes += chunk.length;
        res.write(chunk);
      }
    } else {
      const body = Buffer.from(await answer.body.arrayBuffer());
      bytes = body.length;
      res.writeHead(answer.statusCode, { 'content-type': 'application/json' });
      res.write(body);
    }
    if (append) {
      const body = JSON.stringify({ model: msg.model, stream: msg.stream === true, status: answer.statusCode, bytes });
      await append({ time: new Date().toISOString(), agent: 'bench-agent', target: String(msg.model), trace: req.url, body, hash: createHash('sha256').update(body).digest('hex') });
    }
    res.end();
  });
}
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));

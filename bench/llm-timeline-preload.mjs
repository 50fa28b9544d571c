// Preloaded into the gateway by bench/llm-timeline.mjs (NODE_OPTIONS=--import ...): timestamps of
// each request's steps on the main thread, from diagnostics channels (node:http's request start
// and response finish; undici's request headers sent, response headers and end) and from the
// audit writer thread's messages (record posted, commit acknowledged). One request at a time:
// the steps of the request in flight. After WARDEN_BENCH_TIMELINE_SKIP requests, the next
// WARDEN_BENCH_TIMELINE_COUNT are written as JSON to WARDEN_BENCH_TIMELINE_FILE.
import dc from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Worker, threadId } from 'node:worker_threads';

const file = process.env.WARDEN_BENCH_TIMELINE_FILE;
const skip = Number(process.env.WARDEN_BENCH_TIMELINE_SKIP ?? 20000);
const count = Number(process.env.WARDEN_BENCH_TIMELINE_COUNT ?? 8000);

if (file && threadId === 0) {
  const now = () => performance.now() * 1000;
  let cur = null;
  let seen = 0;
  let lastFinish = 0;
  const rows = [];
  const mark = (step) => {
    if (cur && cur[step] === undefined) cur[step] = now();
  };
  dc.subscribe('http.server.request.start', () => {
    const t = now();
    cur = { start: t, gap: lastFinish ? t - lastFinish : null };
  });
  dc.subscribe('undici:client:sendHeaders', () => mark('sent'));
  dc.subscribe('undici:request:headers', () => mark('headers'));
  dc.subscribe('undici:request:trailers', () => mark('done'));
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (Array.isArray(msg)) mark('posted'); // the appends of one tick (src/audit/writer-protocol.ts)
    return post.call(this, msg, ...rest);
  };
  const on = Worker.prototype.on;
  Worker.prototype.on = function (event, listener, ...rest) {
    if (event !== 'message') return on.call(this, event, listener, ...rest);
    return on.call(this, event, function (msg) {
      if (Array.isArray(msg)) mark('ack'); // a commit
      return listener.call(this, msg);
    }, ...rest);
  };
  dc.subscribe('http.server.response.finish', () => {
    if (!cur) return;
    cur.finish = now();
    lastFinish = cur.finish;
    if (++seen > skip && rows.length < count) {
      rows.push(cur);
      if (rows.length === count) writeFileSync(file, JSON.stringify(rows));
    }
    cur = null;
  });
}

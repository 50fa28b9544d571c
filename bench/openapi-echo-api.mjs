// A minimal JSON HTTP API for bench/openapi-call.mjs: GET /items/{id}?q=... answers
// {"id": ..., "q": ...}. node:http only, so its own cost stays small. Prints "LISTENING <port>".
import { createServer } from 'node:http';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  const m = /^\/v1\/items\/([^/]+)$/.exec(url.pathname);
  if (req.method !== 'GET' || !m) {
    res.writeHead(404).end();
    return;
  }
  const body = JSON.stringify({ id: decodeURIComponent(m[1]), q: url.searchParams.get('q') });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`LISTENING ${server.address().port}`));

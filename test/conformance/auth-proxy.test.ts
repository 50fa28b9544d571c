import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startAuthProxy } from './auth-proxy.mjs';
import { rawPost } from './raw-post.js';

let target: Server;
let targetHost: string;
let seen: IncomingHttpHeaders[] = [];
let releaseStream: () => void = () => {};
let proxy: { url: string; close(): Promise<void> };

beforeAll(async () => {
  target = createServer((req, res) => {
    seen.push(req.headers);
    if (req.url === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      releaseStream = () => res.end('data: last\n\n');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  targetHost = `127.0.0.1:${(target.address() as { port: number }).port}`;
  proxy = await startAuthProxy(`http://${targetHost}/mcp`, 'agent-key');
});

afterAll(async () => {
  await proxy.close();
  target.closeAllConnections();
  target.close();
});

it('adds the bearer key and maps its own Host and Origin to the target', async () => {
  seen = [];
  const own = new URL(proxy.url).host;
  await rawPost(proxy.url, { host: own, origin: `http://${own}`, authorization: 'Bearer agent-supplied' });
  expect(seen[0]).toMatchObject({ authorization: 'Bearer agent-key', host: targetHost, origin: `http://${targetHost}` });
});

it('passes a foreign Host and Origin through unchanged', async () => {
  seen = [];
  await rawPost(proxy.url, { host: 'evil.example.com', origin: 'http://evil.example.com' });
  expect(seen[0]).toMatchObject({ host: 'evil.example.com', origin: 'http://evil.example.com' });
});

it('delivers SSE events as they are written, before the stream ends', async () => {
  const res = await fetch(new URL('/stream', proxy.url));
  const reader = res.body!.getReader();
  const first = await reader.read();
  expect(new TextDecoder().decode(first.value)).toContain('data: first');
  releaseStream();
  let rest = '';
  for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
  expect(rest).toContain('data: last');
});

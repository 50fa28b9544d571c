// Runs a web-standard `fetch(Request) => Response` handler on node:http, streaming both
// ways (SSE responses are written as they are produced, never buffered).
import { Readable } from 'node:stream';

function toRequest(req, signal) {
  const headers = new Headers();
  for (let i = 0; i < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  return new Request(new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`), {
    method: req.method,
    headers,
    body: hasBody ? Readable.toWeb(req) : undefined,
    duplex: 'half',
    signal,
  });
}

async function writeResponse(response, res) {
  const headers = {};
  response.headers.forEach((value, name) => {
    headers[name] = value;
  });
  res.writeHead(response.status, headers);
  if (!response.body) return void res.end();
  const reader = response.body.getReader();
  res.once('close', () => void reader.cancel().catch(() => {}));
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    res.write(value);
  }
  res.end();
}

/** @param {(request: Request) => Promise<Response>} handler */
export function nodeListener(handler, onerror = () => {}) {
  return (req, res) => {
    const aborted = new AbortController();
    res.once('close', () => aborted.abort());
    handler(toRequest(req, aborted.signal))
      .then((response) => writeResponse(response, res))
      .catch((err) => {
        onerror(err);
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end();
      });
  };
}

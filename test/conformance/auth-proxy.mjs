// The conformance CLI has no way to send credentials (no header option or variable; its
// scenarios build their own HTTP requests). This loopback proxy stands in for the client
// side of the connection: it adds the agent key and otherwise forwards bytes as they come,
// both ways, so SSE streams stay live. Host and Origin naming the proxy itself are rewritten
// to the gateway's address, which is what the client would send if it connected directly;
// any other Host or Origin (the DNS-rebinding scenario's evil.example.com) is passed as is.
import { once } from 'node:events';
import { createServer, request } from 'node:http';

const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer'];

function withoutHopByHop(headers) {
  const copy = { ...headers };
  for (const name of HOP_BY_HOP) delete copy[name];
  return copy;
}

/**
 * @param {string} targetUrl the gateway endpoint, e.g. http://127.0.0.1:4100/mcp
 * @param {string} bearer the agent key to present
 * @returns {Promise<{ url: string, close(): Promise<void> }>} url: the same path on the proxy
 */
export async function startAuthProxy(targetUrl, bearer) {
  const target = new URL(targetUrl);
  let ownHost = '';
  const server = createServer((req, res) => {
    const headers = withoutHopByHop(req.headers);
    headers.authorization = `Bearer ${bearer}`;
    if (headers.host === ownHost) headers.host = target.host;
    if (headers.origin === `http://${ownHost}`) headers.origin = target.origin;
    const upstream = request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, withoutHopByHop(answer.headers));
      answer.pipe(res);
    });
    upstream.once('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end();
    });
    // The client going away (e.g. cancelling an SSE stream) must reach the gateway.
    res.once('close', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  ownHost = `127.0.0.1:${port}`;
  return {
    url: `http://${ownHost}${target.pathname}`,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

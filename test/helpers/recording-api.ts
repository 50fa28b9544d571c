/**
 * A real HTTP API on 127.0.0.1 for OpenAPI import tests: records every request exactly as it
 * arrived (method, raw path and query, headers, body bytes) and answers with whatever the
 * test's route says. Also serves an OAuth 2.0 token endpoint that counts its grants.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Raw request target: path and query exactly as sent. */
  url: string;
  path: string;
  query: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type Route = (req: RecordedRequest, res: ServerResponse) => void | Promise<void>;

export interface RecordingApi {
  url: string;
  origin: string;
  requests: RecordedRequest[];
  /** Token grants the OAuth endpoint issued, and the requests that asked. */
  tokens: { issued: string[]; requests: RecordedRequest[]; lifetimeS: number };
  route(pathPrefix: string, handler: Route): void;
  last(): RecordedRequest;
  close(): Promise<void>;
}

export async function startRecordingApi(): Promise<RecordingApi> {
  const requests: RecordedRequest[] = [];
  const routes: Array<[string, Route]> = [];
  const tokens = { issued: [] as string[], requests: [] as RecordedRequest[], lifetimeS: 3600 };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rec: RecordedRequest = { method: req.method ?? '', url, path: q < 0 ? url : url.slice(0, q), query: q < 0 ? '' : url.slice(q + 1), headers: req.headers, body: Buffer.concat(chunks) };
    if (rec.path === '/oauth/token') {
      tokens.requests.push(rec);
      const token = `tok-${tokens.issued.length + 1}-${Math.random().toString(36).slice(2)}`;
      tokens.issued.push(token);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: tokens.lifetimeS }));
      return;
    }
    requests.push(rec);
    const route = routes.filter(([p]) => rec.path.startsWith(p)).sort((a, b) => b[0].length - a[0].length)[0];
    try {
      if (route) await route[1](rec, res);
      else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, path: rec.path }));
      }
    } catch {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    origin,
    requests,
    tokens,
    route: (p, h) => routes.push([p, h]),
    last: () => {
      const r = requests.at(-1);
      if (!r) throw new Error('no request reached the API');
      return r;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

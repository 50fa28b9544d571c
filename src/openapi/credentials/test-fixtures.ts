import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TokenTransport } from './oauth-client-credentials.js';

/** A plain node:http TokenTransport (the executor's is built on the egress module). */
export const httpTokenTransport: TokenTransport = (req) =>
  new Promise((resolve, reject) => {
    const r = request(req.url, { method: 'POST', headers: req.headers, signal: req.signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(req.body);
  });

export interface TokenRequest {
  headers: IncomingHttpHeaders;
  form: URLSearchParams;
}

export type TokenReply = { status: number; json?: unknown; text?: string; delayMs?: number };

/**
 * A real token endpoint on 127.0.0.1: records every request, answers with `reply(n)` for
 * the n-th request (0-based), or by default a fresh bearer token `tok-<n>` valid 3600 s.
 */
export async function startTokenServer(reply?: (n: number, req: TokenRequest) => TokenReply) {
  const requests: TokenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = requests.length;
      const rec = { headers: req.headers, form: new URLSearchParams(Buffer.concat(chunks).toString('utf8')) };
      requests.push(rec);
      const r = reply?.(n, rec) ?? { status: 200, json: { access_token: `tok-${n}`, token_type: 'Bearer', expires_in: 3600 } };
      setTimeout(() => {
        res.writeHead(r.status, { 'content-type': r.json !== undefined ? 'application/json' : 'text/plain' });
        res.end(r.json !== undefined ? JSON.stringify(r.json) : (r.text ?? ''));
      }, r.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/oauth/token`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A clock the test moves by hand. */
export function fakeClock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

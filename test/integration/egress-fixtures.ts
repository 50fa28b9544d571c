/** A plain HTTP server on 127.0.0.1 for the egress tests: it records connections and requests. */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pino } from 'pino';
import { expect } from 'vitest';
import { EgressError, type EgressErrorCode } from '../../src/egress/index.js';

export const log = pino({ level: process.env.TEST_LOG ?? 'silent' });

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface TestServer {
  port: number;
  /** http://127.0.0.1:<port> */
  origin: string;
  /** TCP connections accepted so far. */
  readonly connections: number;
  requests: SeenRequest[];
  /** Responses the server could not finish because the client went away. */
  readonly dropped: number;
  close(): Promise<void>;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export async function startServer(handler: Handler): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let connections = 0;
  let dropped = 0;
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) };
      requests.push(seen);
      res.on('close', () => {
        if (!res.writableFinished) dropped++;
      });
      handler(seen, res);
    });
  });
  server.on('connection', (s: Socket) => {
    connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get dropped() {
      return dropped;
    },
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A lookup that answers from a table (each host: one answer per call, the last one repeated) and counts its calls. */
export function fakeLookup(table: Record<string, string[][]>) {
  const calls: string[] = [];
  const lookup = async (host: string) => {
    calls.push(host);
    const answers = table[host];
    if (!answers) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const n = calls.filter((h) => h === host).length;
    const answer = answers[Math.min(n, answers.length) - 1]!;
    return answer.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
  return { lookup, calls };
}

/** The EgressError `p` rejects with; fails the test on anything else. */
export async function egressFailure(p: Promise<unknown>, code: EgressErrorCode): Promise<EgressError> {
  const err = await p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(EgressError);
  expect((err as EgressError).code).toBe(code);
  return err as EgressError;
}

export const TIMEOUTS = { connectMs: 2000, firstByteMs: 2000, totalMs: 5000 };

export async function waitFor(pred: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

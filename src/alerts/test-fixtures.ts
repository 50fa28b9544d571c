import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { pino, type Logger } from 'pino';

export interface ReceivedAlert {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** The parsed body's `type` and `seq` (tests number their events). */
  json: { type?: string; seq?: number; [k: string]: unknown };
}

/**
 * What the receiver does with the n-th request (0-based): answer with a status (and
 * headers), 'hang' (never answer; the response is kept for release()), or 'reset' (destroy
 * the connection without an answer).
 */
export type Reply = { status: number; headers?: Record<string, string> } | 'hang' | 'reset';

/** A webhook receiver on 127.0.0.1 that records every request and answers as `reply` says (default 200). */
export async function startReceiver(reply: (n: number, req: ReceivedAlert) => Reply = () => ({ status: 200 })) {
  const requests: ReceivedAlert[] = [];
  const held: ServerResponse[] = [];
  const sockets = new Set<Socket>();
  let answered = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const seen: ReceivedAlert = { url: req.url ?? '', headers: req.headers, body, json: JSON.parse(body) as ReceivedAlert['json'] };
      const n = requests.push(seen) - 1;
      const r = reply(n, seen);
      if (r === 'hang') held.push(res);
      else if (r === 'reset') req.socket.destroy();
      else {
        answered++;
        res.writeHead(r.status, { 'content-type': 'text/plain', ...r.headers }).end('ok');
      }
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    requests,
    /** Responses sent so far (held and reset ones excluded). */
    get answered() {
      return answered;
    },
    /** Requests currently held by 'hang'. */
    get held() {
      return held.length;
    },
    /** Answers every held request with 200. */
    release() {
      for (const res of held.splice(0)) {
        answered++;
        if (!res.destroyed) res.writeHead(200).end('ok');
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export type Receiver = Awaited<ReturnType<typeof startReceiver>>;

/** A debug-level logger whose lines are kept as text, to check what was (and was not) logged. */
export function capturingLogger(): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) }), lines };
}

/** A sleep that returns at once and records what it was asked to wait. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; waits: number[] } {
  const waits: number[] = [];
  return { waits, sleep: async (ms) => void waits.push(ms) };
}

export async function waitFor(cond: () => boolean, timeoutMs = 3_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The bytes readJsonBody hands over as `raw` are forwarded to the provider later (spliced), so
 * they must stay exactly the bytes that were parsed: not a view of a socket or pool buffer that
 * the next read or request overwrites.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonBody, type ReadBody } from './read-body.js';

interface Seen {
  body: ReadBody;
  copy: Buffer;
}

let server: http.Server;
let port = 0;
const seen: Seen[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    readJsonBody(req, 1 << 20, true).then(
      (body) => {
        seen.push({ body, copy: Buffer.from(body.raw!) });
        // Allocate and scribble over pooled memory before answering, as other requests would.
        for (let i = 0; i < 64; i++) Buffer.allocUnsafe(1 + (i % 4000)).fill(0x7d);
        res.end('ok');
      },
      () => res.writeHead(400).end(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

function post(body: string, last: boolean): string {
  return `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${last ? 'Connection: close\r\n' : ''}\r\n${body}`;
}

describe('readJsonBody: the received bytes', () => {
  it('stay the bytes parsed while later reads and pipelined requests arrive on the same socket', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => JSON.stringify({ model: `m${i}`, messages: [{ role: 'user', content: `${'é€'.repeat(i * 300)}${i}` }], api_key: `k${i}` }));
    const wire = Buffer.from(bodies.map((b, i) => post(b, i === bodies.length - 1)).join(''));
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', async () => {
        // Dribbled in small writes so some bodies arrive in several chunks (Buffer.concat) and
        // one socket read carries the end of one request and the start of the next.
        for (let at = 0; at < wire.length; at += 97) {
          socket.write(wire.subarray(at, at + 97));
          if (at % 970 === 0) await new Promise((r) => setTimeout(r, 1));
        }
      });
      socket.on('data', () => undefined);
      socket.on('end', resolve);
      socket.on('error', reject);
    });
    expect(seen).toHaveLength(bodies.length);
    for (const [i, s] of seen.entries()) {
      expect(s.body.raw!.equals(s.copy)).toBe(true);
      expect(s.body.raw!.toString('utf8')).toBe(bodies[i]);
      expect(s.body.digest).toBe(createHash('sha256').update(bodies[i]!).digest('hex'));
      for (const m of s.body.spans!.members) {
        expect(JSON.parse(`{${s.body.raw!.toString('utf8', m.start, m.end)}}`)).toEqual({ [m.key]: (s.body.value as Record<string, unknown>)[m.key] });
      }
    }
  });
});

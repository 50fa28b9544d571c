import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { deferredChild } from './deferred-logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
      cb();
    },
  });
  return { lines, log: pino({ level: 'info', redact: { paths: ['secret'], censor: '[redacted]' } }, dest) };
}

describe('a deferred request logger', () => {
  it('logs with the request bindings and the parent redaction, like a real child', async () => {
    const { lines, log } = capture();
    const d = deferredChild(log, { reqId: 'r1' });
    d.warn({ secret: 's3cr3t', n: 1 }, 'hello');
    await new Promise((r) => setImmediate(r));
    expect(lines[0]).toMatchObject({ reqId: 'r1', secret: '[redacted]', n: 1, msg: 'hello', level: 40 });
  });

  it('creates no child until something is logged', () => {
    const { log } = capture();
    let children = 0;
    const spy = new Proxy(log, { get: (t, k) => (k === 'child' ? (...a: Parameters<typeof log.child>) => (children++, t.child(...a)) : Reflect.get(t, k)) });
    const d = deferredChild(spy, { reqId: 'r2' });
    expect(children).toBe(0);
    d.error('x');
    d.error('y');
    expect(children).toBe(1);
  });
});

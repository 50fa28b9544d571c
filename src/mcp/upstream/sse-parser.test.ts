import { describe, expect, it } from 'vitest';
import { SseParser } from './sse-parser.js';

function parse(max: number, text: string, splitAt: number[] = []) {
  const out: string[] = [];
  const p = new SseParser(max, {
    event: (type, data) => out.push(`${type}:${data}`),
    oversized: (type, head, tail, bytes) => out.push(`${type}:OVER(${bytes}) ${head.toString().slice(0, 6)}…${tail.toString().slice(-4)}`),
  });
  const buf = Buffer.from(text);
  let at = 0;
  for (const cut of [...splitAt, buf.length]) {
    p.push(buf.subarray(at, cut));
    at = cut;
  }
  return out;
}

const STREAM = ': keepalive\n\nevent: endpoint\ndata: /message?s=1\n\ndata: {"a":\ndata: 1}\nid: 7\n\nevent: message\r\ndata:{"b":"é"}\r\n\r\n';

describe('SseParser', () => {
  it('parses event types, multi-line data and comments', () => {
    expect(parse(1000, STREAM)).toEqual(['endpoint:/message?s=1', 'message:{"a":\n1}', 'message:{"b":"é"}']);
  });

  it('gives the same events wherever the chunks are cut', () => {
    const whole = parse(1000, STREAM);
    for (let i = 1; i < Buffer.byteLength(STREAM); i++) expect(parse(1000, STREAM, [i])).toEqual(whole);
  });

  it('skips an event over the cap (even across several data lines) and keeps the next one', () => {
    expect(parse(10, 'data: {"id":1,\ndata: "x":"0123456789"}\n\ndata: ok\n\n')).toEqual(['message:OVER(26) {"id":…89"}', 'message:ok']);
    expect(parse(10, `data: ${'y'.repeat(100)}\n\ndata: ok\n\n`)).toEqual([`message:OVER(106) yyyyyy…yyyy`, 'message:ok']);
  });

  it('drops an event the stream never finished', () => {
    expect(parse(100, 'data: partial\n')).toEqual([]);
  });
});

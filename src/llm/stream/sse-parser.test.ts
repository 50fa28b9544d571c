import { describe, expect, it } from 'vitest';
import { SseEventTooLargeError, SseParser, type SseEvent } from './sse-parser.js';

const CAP = 1 << 20;

function parseWhole(bytes: Buffer, max = CAP): SseEvent[] {
  const p = new SseParser({ maxEventBytes: max });
  return [...p.push(bytes), ...p.end()];
}

function parsePieces(pieces: Buffer[], max = CAP): SseEvent[] {
  const p = new SseParser({ maxEventBytes: max });
  const out: SseEvent[] = [];
  for (const piece of pieces) out.push(...p.push(piece));
  out.push(...p.end());
  return out;
}

const meaning = (evs: SseEvent[]) => evs.map((e) => ({ event: e.event, data: e.data, comment: e.comment }));

/** A stream with every framing case: LF, CRLF and CR line ends, comments, multi-line data, multi-byte text. */
const SAMPLE = Buffer.from(
  [
    ': keep-alive\n\n',
    'data: {"a":1}\n\n',
    'event: response.created\r\ndata: {"type":"response.created"}\r\n\r\n',
    'id: 7\rretry: 100\rdata:no-space\rdata:  two spaces\r\r',
    'data: first\n: a comment inside\ndata\ndata: third\nunknown: x\n\n',
    '\n\n',
    'data: héllo wörld 🙂 漢字\r\n\r\n',
    'event: ping\n\n',
    'data: [DONE]\n\n',
  ].join(''),
);

describe('SseParser framing', () => {
  it('reads fields by the WHATWG rules', () => {
    expect(meaning(parseWhole(SAMPLE))).toEqual([
      { event: undefined, data: '', comment: true },
      { event: undefined, data: '{"a":1}', comment: false },
      { event: 'response.created', data: '{"type":"response.created"}', comment: false },
      { event: undefined, data: 'no-space\n two spaces', comment: false },
      { event: undefined, data: 'first\n\nthird', comment: false },
      { event: undefined, data: 'héllo wörld 🙂 漢字', comment: false },
      { event: 'ping', data: '', comment: true },
      { event: undefined, data: '[DONE]', comment: false },
    ]);
  });

  it('returns each event with its own bytes through the closing blank line', () => {
    const raws = parseWhole(SAMPLE).map((e) => e.raw.toString('utf8'));
    expect(raws[2]).toBe('event: response.created\r\ndata: {"type":"response.created"}\r\n\r\n');
    expect(raws[3]).toBe('id: 7\rretry: 100\rdata:no-space\rdata:  two spaces\r\r');
    expect(raws[4]).toBe('data: first\n: a comment inside\ndata\ndata: third\nunknown: x\n\n');
    // The blank lines between events belong to none of them.
    expect(Buffer.concat(parseWhole(SAMPLE).map((e) => e.raw)).length).toBe(SAMPLE.length - 2);
  });

  it('gives the same events for every split offset of the stream', () => {
    const whole = parseWhole(SAMPLE);
    const offsets: number[] = [];
    let from = 0;
    for (const ev of whole) {
      const at = SAMPLE.indexOf(ev.raw, from);
      offsets.push(at);
      from = at + ev.raw.length;
    }
    for (let i = 0; i <= SAMPLE.length; i++) {
      const split = parsePieces([SAMPLE.subarray(0, i), SAMPLE.subarray(i)]);
      expect(meaning(split), `split at ${i}`).toEqual(meaning(whole));
      split.forEach((ev, k) => {
        const want = whole[k]!.raw;
        const crlfEnd = offsets[k]! + want.length - 1;
        // Documented exception: a chunk ending in the CR of the closing CRLF yields the event without the LF.
        if (i === crlfEnd && want.subarray(-2).toString() === '\r\n') expect(ev.raw.equals(want.subarray(0, -1))).toBe(true);
        else expect(ev.raw.equals(want), `raw of event ${k}, split at ${i}`).toBe(true);
      });
      // Forwarding the raw bytes gives a client the same events.
      expect(meaning(parseWhole(Buffer.concat(split.map((e) => e.raw))))).toEqual(meaning(whole));
    }
  });

  it('gives the same events when the stream arrives one byte at a time', () => {
    const pieces = [...SAMPLE].map((b) => Buffer.from([b]));
    expect(meaning(parsePieces(pieces))).toEqual(meaning(parseWhole(SAMPLE)));
  });

  it('treats a CRLF split across chunks as one line end', () => {
    const evs = parsePieces([Buffer.from('data: a\r'), Buffer.from('\ndata: b\r'), Buffer.from('\n\r'), Buffer.from('\n')]);
    expect(meaning(evs)).toEqual([{ event: undefined, data: 'a\nb', comment: false }]);
    expect(evs[0]!.raw.toString()).toBe('data: a\r\ndata: b\r\n\r');
  });

  it('frames CR-only streams', () => {
    expect(parseWhole(Buffer.from('data: a\rdata: b\r\rdata: c\r\r')).map((e) => e.data)).toEqual(['a\nb', 'c']);
  });

  it('returns a keep-alive comment block as a comment event a relay can forward', () => {
    const evs = parseWhole(Buffer.from(': ping\n: pong\n\ndata: x\n\n'));
    expect(evs[0]).toMatchObject({ data: '', comment: true });
    expect(evs[0]!.raw.toString()).toBe(': ping\n: pong\n\n');
    expect(evs[1]).toMatchObject({ data: 'x', comment: false });
  });

  it('skips a leading BOM, also when it is split, and keeps its bytes in raw', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('data: x\n\n')]);
    const evs = parsePieces([bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2)]);
    expect(meaning(evs)).toEqual([{ event: undefined, data: 'x', comment: false }]);
    expect(evs[0]!.raw.equals(bytes)).toBe(true);
    // Only a leading BOM is skipped: later it is part of a field name.
    expect(parseWhole(Buffer.concat([Buffer.from('data: x\n\n'), bytes]))[1]).toMatchObject({ comment: true });
  });

  it('keeps the bytes of a partial BOM as the start of the first line', () => {
    const evs = parseWhole(Buffer.concat([Buffer.from([0xef, 0xbb]), Buffer.from('data: x\n\n')]));
    expect(evs).toHaveLength(1);
    expect(evs[0]).toMatchObject({ data: '', comment: true });
  });

  it('returns raw as a view of the chunk when the event lies inside one chunk', () => {
    const chunk = Buffer.from('data: a\n\ndata: b\n\n');
    const evs = new SseParser({ maxEventBytes: CAP }).push(chunk);
    expect(evs.map((e) => e.raw.buffer === chunk.buffer)).toEqual([true, true]);
  });
});

describe('SseParser end of stream', () => {
  it('returns an event cut off after a complete line, closed by a blank line', () => {
    const p = new SseParser({ maxEventBytes: CAP });
    expect(p.push(Buffer.from('data: a\n\ndata: [DONE]\n'))).toHaveLength(1);
    const last = p.end();
    expect(last.map((e) => [e.data, e.raw.toString()])).toEqual([['[DONE]', 'data: [DONE]\n\n']]);
  });

  it('drops an event cut off inside a line', () => {
    const p = new SseParser({ maxEventBytes: CAP });
    p.push(Buffer.from('data: {"choices":[{"delta":{"content":"hel'));
    expect(p.end()).toEqual([]);
  });

  it('returns nothing at the end of a stream that ended between events', () => {
    const p = new SseParser({ maxEventBytes: CAP });
    p.push(Buffer.from('data: a\n\n\n'));
    expect(p.end()).toEqual([]);
  });
});

describe('SseParser event cap', () => {
  it('accepts an event of exactly the cap and refuses one byte more', () => {
    const ev = Buffer.from('data: 0123456789\n\n'); // 18 bytes
    expect(parseWhole(ev, 18)).toHaveLength(1);
    expect(() => parseWhole(ev, 17)).toThrow(SseEventTooLargeError);
  });

  it('throws as soon as a never-ending event passes the cap, before its end', () => {
    const p = new SseParser({ maxEventBytes: 4096 });
    p.push(Buffer.from('data: '));
    const kb = Buffer.alloc(1024, 'x');
    let pushes = 0;
    const feed = () => {
      for (let i = 0; i < 100; i++) {
        pushes++;
        p.push(kb);
      }
    };
    expect(feed).toThrow(SseEventTooLargeError);
    expect(pushes).toBe(4); // 6 + 4 * 1024 bytes > 4096
    expect(() => p.push(Buffer.from('\n\n'))).toThrow();
  });

  it('counts comment lines and many short lines toward the cap', () => {
    const p = new SseParser({ maxEventBytes: 100 });
    expect(() => {
      for (let i = 0; i < 20; i++) p.push(Buffer.from(': keep\n'));
    }).toThrow(SseEventTooLargeError);
  });

  it('does not count blank lines between events toward the cap', () => {
    const p = new SseParser({ maxEventBytes: 16 });
    for (let i = 0; i < 100; i++) expect(p.push(Buffer.from('\n\r\n\r'))).toEqual([]);
    expect(p.push(Buffer.from('data: x\n\n')).map((e) => e.data)).toEqual(['x']);
  });

  it('hands back the events completed before the oversized one in the same chunk', () => {
    const p = new SseParser({ maxEventBytes: 32 });
    try {
      p.push(Buffer.from(`data: ok\n\ndata: ${'y'.repeat(100)}`));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(SseEventTooLargeError);
      const e = err as SseEventTooLargeError;
      expect(e.before.map((ev) => ev.data)).toEqual(['ok']);
      expect(e.code).toBe('UPSTREAM_BAD_RESPONSE');
      expect(e.details).toEqual({ maxEventBytes: 32 });
    }
  });
});

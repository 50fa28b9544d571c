import { describe, expect, it } from 'vitest';
import { findTopLevelId, LineSplitter } from './line-splitter.js';

function split(max: number, chunks: string[]) {
  const out: string[] = [];
  const s = new LineSplitter(max, {
    line: (l) => out.push(l.toString()),
    oversized: (head, tail, bytes) => out.push(`OVER(${bytes}) ${head.toString().slice(0, 10)}…${tail.toString().slice(-6)}`),
  });
  for (const c of chunks) s.push(Buffer.from(c));
  return out;
}

describe('LineSplitter', () => {
  it('joins lines across chunks and strips CR', () => {
    expect(split(100, ['{"a":', '1}\r\n{"b"', ':2}\n\n'])).toEqual(['{"a":1}', '{"b":2}', '']);
  });

  it('skips a line over the cap, keeping only its head and tail, and carries on', () => {
    expect(split(8, ['0123456789', 'abcdef\nok\n'])).toEqual(['OVER(16) 0123456789…abcdef', 'ok']);
  });

  it('reports an overflow as soon as it starts', () => {
    const heads: string[] = [];
    const s = new LineSplitter(4, { line: () => {}, oversized: () => {}, overflowing: (h) => heads.push(h.toString()) });
    s.push(Buffer.from('abcdefgh'));
    expect(heads).toEqual(['abcdefgh']);
  });
});

describe('findTopLevelId', () => {
  const id = (head: string, tail = '') => findTopLevelId(Buffer.from(head), Buffer.from(tail));
  it('finds an id written first or last', () => {
    expect(id('{"jsonrpc":"2.0","id":17,"result":{"content":[{"te')).toBe(17);
    expect(id('{"result":{"x":"aaaa', 'aaaa"}]},"jsonrpc":"2.0","id":23}')).toBe(23);
  });
  it('ignores ids nested in the result', () => {
    expect(id('{"result":{"id":5,"items":[{"id":6}]', '{"id":7}]}}')).toBeUndefined();
    expect(id('{"result":{"text":"\\"id\\":9,"')).toBeUndefined();
  });
});

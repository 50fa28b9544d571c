import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseTime, printTable, streamWriter, tableCell, UsageError } from './common.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

describe('printTable', () => {
  it('neutralizes control and bidi characters in every cell so a field cannot drive the terminal', () => {
    const out = new Capture();
    printTable(out, [{ id: 'a\u001b[2Jb', note: 'x\u202eevil\u2066y\u0085z\u200f' }], ['id', 'note']);
    expect(out.text).toContain('a?[2Jb');
    expect(out.text).toContain('x?evil?y?z?');
    expect(out.text).not.toMatch(/[\u001b\u202e\u2066\u0085\u200f]/);
  });

  it('keeps rows on one line (tabs and line breaks become spaces), aligns columns and truncates by column', () => {
    const out = new Capture();
    printTable(out, [{ a: 'one\ntwo', b: 'x'.repeat(30) }, { a: null, b: 'short' }], ['a', 'b'], { maxWidth: { b: 10 } });
    expect(out.text.split('\n')).toEqual(['a        b', 'one two  xxxxxxxxx…', '-        short', '']);
  });

  it('tableCell renders null as - and leaves ordinary text alone', () => {
    expect(tableCell(undefined)).toBe('-');
    expect(tableCell('héllo wörld')).toBe('héllo wörld');
  });
});

describe('parseTime', () => {
  it('accepts ISO 8601 and epoch milliseconds, and throws the shared UsageError otherwise', () => {
    expect(parseTime('1700000000000', '--since')).toBe(1_700_000_000_000);
    expect(parseTime('2023-11-14T22:13:20.000Z', '--since')).toBe(1_700_000_000_000);
    expect(() => parseTime('soon', '--since')).toThrow(UsageError);
  });

  it('refuses what Date.parse would guess at, naming the forms it accepts', () => {
    for (const text of ['1 2', '2024-01-01T00:00:00', '2030-02-31']) {
      expect(() => parseTime(text, '--expires'), text).toThrow(/^--expires: not a time \(expected ISO 8601 with Z or a ±hh:mm offset .*, a date YYYY-MM-DD \(midnight UTC\), or epoch milliseconds \(digits only\)\): /);
    }
  });
});

describe('streamWriter', () => {
  it('rejects a pending write when the stream errors, and every later call too', async () => {
    const failing = new Writable({
      highWaterMark: 4,
      write(_c, _e, cb) {
        setImmediate(() => cb(Object.assign(new Error('disk full'), { code: 'ENOSPC' })));
      },
    });
    const w = streamWriter(failing, 'export failed');
    await expect(w.write('more than four bytes')).rejects.toThrow('export failed: no space left on device');
    await expect(w.write('again')).rejects.toThrow('export failed: no space left on device');
    await expect(w.end()).rejects.toThrow(/no space left/);
    w.release();
  });

  it('rejects instead of waiting forever when the stream is destroyed without an error', async () => {
    const stuck = new Writable({ highWaterMark: 1, write() {} }); // never calls back: no 'drain'
    const w = streamWriter(stuck, 'write failed');
    const pending = w.write('xx');
    stuck.destroy();
    await expect(pending).rejects.toThrow('write failed: the stream was closed');
  });

  it('resolves end() once everything is flushed', async () => {
    const out = new Capture();
    const w = streamWriter(out, 'x');
    await w.write('a');
    await w.end();
    expect(out.text).toBe('a');
    expect(out.writableFinished).toBe(true);
  });
});

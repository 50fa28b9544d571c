import { LineSplitter, OVERSIZE_HEAD_BYTES, OVERSIZE_TAIL_BYTES } from './line-splitter.js';

/**
 * Server-Sent Events parsing on bytes with a cap per event: an event whose data grows past
 * the cap is not buffered; only its first and last bytes are kept (see findTopLevelId).
 * Only the fields MCP uses matter here: `event` and `data` (ids and retry are ignored, as
 * the gateway never resumes a stream).
 */
export interface SseSink {
  event(type: string, data: string, bytes: number): void;
  oversized(type: string, head: Buffer, tail: Buffer, bytes: number): void;
}

const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');

export class SseParser {
  readonly #max: number;
  readonly #sink: SseSink;
  readonly #lines: LineSplitter;
  #type = '';
  #data: Buffer[] = [];
  #dataBytes = 0;
  #over: { head: Buffer; tail: Buffer; bytes: number } | null = null;

  constructor(maxEventBytes: number, sink: SseSink) {
    this.#max = maxEventBytes;
    this.#sink = sink;
    this.#lines = new LineSplitter(maxEventBytes + 16, {
      line: (line) => this.#line(line),
      oversized: (head, tail, bytes) => {
        if (fieldIs(head, DATA)) this.#overflow(valueOf(head), tail, bytes);
      },
    });
  }

  push(chunk: Buffer): void {
    this.#lines.push(chunk);
  }

  #line(line: Buffer): void {
    if (line.length === 0) return this.#dispatch();
    if (line[0] === 58 /* : comment */) return;
    if (fieldIs(line, DATA)) {
      const value = valueOf(line);
      if (this.#over) return this.#overflow(value.subarray(0, 0), value, value.length);
      const add = value.length + (this.#data.length > 0 ? 1 : 0);
      if (this.#dataBytes + add > this.#max) return this.#overflow(value, value, add);
      if (this.#data.length > 0) this.#data.push(NEWLINE);
      this.#data.push(value);
      this.#dataBytes += add;
    } else if (fieldIs(line, EVENT)) {
      this.#type = valueOf(line).toString('utf8');
    }
  }

  /** Data past the cap: keep head and tail only. `head` is used only when the overflow starts. */
  #overflow(head: Buffer, tail: Buffer, bytes: number): void {
    if (!this.#over) {
      this.#over = { head: firstBytes([...this.#data, head], OVERSIZE_HEAD_BYTES), tail: Buffer.alloc(0), bytes: this.#dataBytes };
      this.#data = [];
    }
    const over = this.#over;
    over.bytes += bytes;
    over.tail = Buffer.concat([over.tail, tail.subarray(-OVERSIZE_TAIL_BYTES)]).subarray(-OVERSIZE_TAIL_BYTES);
  }

  #dispatch(): void {
    const type = this.#type || 'message';
    const over = this.#over;
    const data = this.#data;
    const bytes = this.#dataBytes;
    this.#type = '';
    this.#data = [];
    this.#dataBytes = 0;
    this.#over = null;
    if (over) return this.#sink.oversized(type, over.head, over.tail, over.bytes);
    if (data.length === 0) return;
    const text = data.length === 1 ? data[0]!.toString('utf8') : Buffer.concat(data).toString('utf8');
    this.#sink.event(type, text, bytes);
  }
}

const NEWLINE = Buffer.from('\n');

function firstBytes(parts: Buffer[], n: number): Buffer {
  const out: Buffer[] = [];
  let len = 0;
  for (const p of parts) {
    if (len >= n) break;
    const take = p.subarray(0, n - len);
    out.push(take);
    len += take.length;
  }
  return Buffer.concat(out, len);
}

function fieldIs(line: Buffer, name: Buffer): boolean {
  if (line.length < name.length) return false;
  for (let i = 0; i < name.length; i++) if (line[i] !== name[i]) return false;
  return line.length === name.length || line[name.length] === 58;
}

function valueOf(line: Buffer): Buffer {
  let i = line.indexOf(58);
  if (i === -1) return line.subarray(line.length);
  i++;
  if (line[i] === 32) i++;
  return line.subarray(i);
}

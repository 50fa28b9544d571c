import { GatewayError } from '../../errors/gateway-error.js';

/**
 * Server-Sent Events framing of a provider's stream, on bytes, for a relay: every event
 * comes back with its original bytes so it can be forwarded unchanged, and an event is
 * refused as soon as it grows past a cap, before its end arrives.
 *
 * Framing follows the WHATWG rules: lines end with LF, CRLF or CR (a CRLF split across
 * chunks is one line end); a leading UTF-8 BOM is skipped; `data` lines join with LF; one
 * space after the colon is dropped; `event` names the event; `id`, `retry` and unknown
 * fields are kept in `raw` only; a blank line ends the event. Two choices differ from a
 * browser, both for relaying:
 * - A block with no `data` line (a `:` keep-alive comment, or only other fields) comes back
 *   with `data: ''` and `comment: true`, so the relay can pass keep-alives on.
 * - `end()` returns an event cut off after a complete line (a provider that omits the last
 *   blank line), with a blank line added to `raw`; a cut-off partial line is dropped.
 *
 * Blank lines outside events are not returned. When a chunk ends in the CR of an event's
 * closing CRLF, the event is returned at once (no waiting for the next chunk) and the LF
 * that follows is dropped: `raw` then ends in CR alone, which frames the same.
 */
export interface SseEvent {
  /** The `event` field, if the event had one. */
  event?: string;
  /** The `data` lines joined with LF ('' for a comment block). */
  data: string;
  /** The event's bytes as received, through its closing blank line. */
  raw: Buffer;
  /** True for a block without `data` lines (keep-alive comments): no message to read. */
  comment?: boolean;
}

/** An event grew past `maxEventBytes`. The parser is unusable after it; abort the stream. */
export class SseEventTooLargeError extends GatewayError {
  /** Events that completed earlier in the same `push`, not returned because of the throw. */
  readonly before: SseEvent[];

  constructor(maxEventBytes: number, before: SseEvent[]) {
    super('UPSTREAM_BAD_RESPONSE', `The provider sent a stream event larger than ${maxEventBytes} bytes`, {
      details: { maxEventBytes },
    });
    this.name = 'SseEventTooLargeError';
    this.before = before;
  }
}

const LF = 10;
const CR = 13;
const COLON = 58;
const SPACE = 32;
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const DATA = Buffer.from('data');
const EVENT = Buffer.from('event');
const NEWLINE = Buffer.from('\n');
const EMPTY = Buffer.alloc(0);

export class SseParser {
  readonly #max: number;
  /** Bytes of the current event that arrived in earlier chunks (views, not copies). */
  #held: Buffer[] = [];
  #heldBytes = 0;
  /** The unfinished line's pieces from earlier chunks. */
  #lineHeld: Buffer[] = [];
  /** The previous chunk ended in a CR: a LF first in this chunk belongs to that line end. */
  #afterCr = false;
  /** Bytes of a BOM matched at the stream start; -1 once past the start. */
  #bom = 0;
  /** Lines (of any kind) in the current event; 0 means no event is open. */
  #lines = 0;
  #data: Buffer[] = [];
  #type: string | undefined = undefined;
  #failed = false;

  constructor(opts: { maxEventBytes: number }) {
    if (!(opts.maxEventBytes > 0)) throw new RangeError('maxEventBytes must be positive');
    this.#max = opts.maxEventBytes;
  }

  /** Events completed by `chunk`, in order. Throws SseEventTooLargeError past the cap. */
  push(chunk: Buffer): SseEvent[] {
    if (this.#failed) throw new Error('SseParser used after an oversized event');
    const out: SseEvent[] = [];
    const len = chunk.length;
    let pos = 0;
    /** Where the current event's bytes start in this chunk. */
    let evStart = 0;
    if (this.#afterCr && len > 0) {
      this.#afterCr = false;
      if (chunk[0] === LF) {
        pos = 1;
        // A LF after an event's (or a stray blank line's) closing CR belongs to nothing.
        if (this.#heldBytes === 0) evStart = 1;
      }
    }
    if (this.#bom >= 0) pos = this.#skipBom(chunk, pos);
    let lineStart = pos;
    let nextLf = chunk.indexOf(LF, pos);
    let nextCr = chunk.indexOf(CR, pos);
    while (pos < len) {
      // Each indexOf resumes past the last hit, so a chunk is scanned once: linear time.
      if (nextLf !== -1 && nextLf < pos) nextLf = chunk.indexOf(LF, pos);
      if (nextCr !== -1 && nextCr < pos) nextCr = chunk.indexOf(CR, pos);
      const t = nextLf === -1 ? nextCr : nextCr === -1 ? nextLf : Math.min(nextLf, nextCr);
      if (t === -1) break;
      let lineEnd = t + 1;
      if (chunk[t] === CR) {
        if (t + 1 < len) {
          if (chunk[t + 1] === LF) lineEnd = t + 2;
        } else this.#afterCr = true;
      }
      const line = drain(this.#lineHeld, chunk.subarray(lineStart, t));
      pos = lineStart = lineEnd;
      if (line.length > 0) {
        this.#field(line);
        continue;
      }
      if (this.#lines === 0) {
        // A blank line with no event open: framing noise, not part of any event.
        evStart = lineEnd;
        continue;
      }
      if (this.#heldBytes + lineEnd - evStart > this.#max) this.#fail(out);
      const raw = drain(this.#held, chunk.subarray(evStart, lineEnd));
      this.#heldBytes = 0;
      out.push(this.#dispatch(raw));
      evStart = lineEnd;
    }
    if (lineStart < len) this.#lineHeld.push(chunk.subarray(lineStart));
    if (evStart < len) {
      this.#held.push(chunk.subarray(evStart));
      this.#heldBytes += len - evStart;
      if (this.#heldBytes > this.#max) this.#fail(out);
    }
    return out;
  }

  /** The end of the stream: an event cut off after a complete line, if any (see above). */
  end(): SseEvent[] {
    if (this.#failed) return [];
    this.#afterCr = false;
    if (this.#lineHeld.length > 0 || this.#lines === 0) {
      this.#reset();
      return [];
    }
    if (this.#heldBytes + 1 > this.#max) this.#fail([]);
    const raw = drain(this.#held, NEWLINE);
    this.#heldBytes = 0;
    return [this.#dispatch(raw)];
  }

  #skipBom(chunk: Buffer, pos: number): number {
    while (pos < chunk.length && this.#bom < BOM.length) {
      if (chunk[pos] !== BOM[this.#bom]) {
        // Not a BOM after all: the bytes matched so far start the first line.
        if (this.#bom > 0) this.#lineHeld.push(BOM.subarray(0, this.#bom));
        this.#bom = -1;
        return pos;
      }
      this.#bom++;
      pos++;
    }
    if (this.#bom === BOM.length) this.#bom = -1;
    return pos;
  }

  #field(line: Buffer): void {
    this.#lines++;
    if (line[0] === COLON) return;
    const colon = line.indexOf(COLON);
    const nameEnd = colon === -1 ? line.length : colon;
    if (nameIs(line, nameEnd, DATA)) this.#data.push(valueOf(line, colon));
    else if (nameIs(line, nameEnd, EVENT)) this.#type = valueOf(line, colon).toString('utf8') || undefined;
  }

  #dispatch(raw: Buffer): SseEvent {
    const data = this.#data;
    const ev: SseEvent = {
      event: this.#type,
      data: data.length === 0 ? '' : data.length === 1 ? data[0]!.toString('utf8') : joinLines(data),
      raw,
      comment: data.length === 0,
    };
    data.length = 0;
    this.#type = undefined;
    this.#lines = 0;
    return ev;
  }

  #fail(before: SseEvent[]): never {
    this.#failed = true;
    this.#reset();
    throw new SseEventTooLargeError(this.#max, before);
  }

  #reset(): void {
    this.#held = [];
    this.#heldBytes = 0;
    this.#lineHeld = [];
    this.#data = [];
    this.#type = undefined;
    this.#lines = 0;
  }
}

/** The held pieces followed by `last` as one buffer (`last` itself when nothing was held); empties `parts`. */
function drain(parts: Buffer[], last: Buffer): Buffer {
  if (parts.length === 0) return last;
  parts.push(last);
  const all = Buffer.concat(parts);
  parts.length = 0;
  return all;
}

function nameIs(line: Buffer, nameEnd: number, name: Buffer): boolean {
  if (nameEnd !== name.length) return false;
  for (let i = 0; i < nameEnd; i++) if (line[i] !== name[i]) return false;
  return true;
}

function valueOf(line: Buffer, colon: number): Buffer {
  if (colon === -1) return EMPTY;
  const start = line[colon + 1] === SPACE ? colon + 2 : colon + 1;
  return line.subarray(start);
}

function joinLines(parts: Buffer[]): string {
  const all: Buffer[] = [];
  for (const p of parts) {
    if (all.length > 0) all.push(NEWLINE);
    all.push(p);
  }
  return Buffer.concat(all).toString('utf8');
}

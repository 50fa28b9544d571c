/**
 * Newline framing over a byte stream with a hard cap per line. A line longer than the cap
 * is never buffered whole: the splitter keeps only its first and last bytes (enough to
 * find the JSON-RPC id of an oversized response) and skips the rest up to the newline.
 */

/** Bytes kept from the start of an oversized line. */
export const OVERSIZE_HEAD_BYTES = 4096;
/** Bytes kept from the end of an oversized line. */
export const OVERSIZE_TAIL_BYTES = 128;

export interface LineSink {
  /** One complete line without its newline (a trailing CR is removed). May be a view into a chunk. */
  line(line: Buffer): void;
  /** A line over the cap ended; `bytes` is its full length. */
  oversized(head: Buffer, tail: Buffer, bytes: number): void;
  /** A line just went over the cap (its end may be far away); `head` is its first bytes. */
  overflowing?(head: Buffer): void;
}

export class LineSplitter {
  readonly #max: number;
  readonly #sink: LineSink;
  #parts: Buffer[] = [];
  #length = 0;
  /** Set while skipping the rest of an oversized line. */
  #skip: { head: Buffer; tail: Buffer; bytes: number } | null = null;

  constructor(maxLineBytes: number, sink: LineSink) {
    this.#max = maxLineBytes;
    this.#sink = sink;
  }

  push(chunk: Buffer): void {
    let start = 0;
    while (start < chunk.length) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      const piece = chunk.subarray(start, end);
      if (this.#skip) this.#skipMore(piece);
      else if (this.#length + piece.length > this.#max) this.#startSkipping(piece);
      else if (piece.length > 0) {
        this.#parts.push(piece);
        this.#length += piece.length;
      }
      if (nl === -1) return;
      this.#endLine();
      start = nl + 1;
    }
  }

  /** Drops a partial last line (a stream that ended without a newline). */
  reset(): void {
    this.#parts = [];
    this.#length = 0;
    this.#skip = null;
  }

  #endLine(): void {
    const skip = this.#skip;
    if (skip) {
      this.#skip = null;
      this.#sink.oversized(skip.head, skip.tail, skip.bytes);
      return;
    }
    const parts = this.#parts;
    let line = parts.length === 1 ? parts[0]! : parts.length === 0 ? EMPTY : Buffer.concat(parts, this.#length);
    this.#parts = [];
    this.#length = 0;
    if (line.length > 0 && line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
    this.#sink.line(line);
  }

  #startSkipping(piece: Buffer): void {
    const head = Buffer.concat([...this.#parts, piece.subarray(0, OVERSIZE_HEAD_BYTES)]).subarray(0, OVERSIZE_HEAD_BYTES);
    const all = this.#length + piece.length;
    const tailSource = piece.length >= OVERSIZE_TAIL_BYTES ? piece : Buffer.concat([...this.#parts, piece]);
    this.#skip = { head: Buffer.from(head), tail: Buffer.from(tailSource.subarray(-OVERSIZE_TAIL_BYTES)), bytes: all };
    this.#parts = [];
    this.#length = 0;
    this.#sink.overflowing?.(this.#skip.head);
  }

  #skipMore(piece: Buffer): void {
    const skip = this.#skip!;
    skip.bytes += piece.length;
    if (piece.length >= OVERSIZE_TAIL_BYTES) skip.tail = Buffer.from(piece.subarray(-OVERSIZE_TAIL_BYTES));
    else if (piece.length > 0) skip.tail = Buffer.concat([skip.tail, piece]).subarray(-OVERSIZE_TAIL_BYTES);
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * Finds the top-level numeric "id" of a JSON-RPC message from the first and last bytes of
 * its text, without the middle. Writers put the id first (`{"jsonrpc":"2.0","id":7,...`)
 * or last (`...,"jsonrpc":"2.0","id":7}`, the v1 TypeScript SDK); both are recognised.
 * Only ids at depth 1 count, so an "id" inside the result cannot fail another request.
 */
export function findTopLevelId(head: Buffer, tail: Buffer): number | undefined {
  return idFromHead(head.toString('latin1')) ?? idFromTail(tail.toString('latin1'));
}

const TAIL_ID = /[,{]\s*"id"\s*:\s*(\d{1,15})\s*\}\s*$/;

function idFromTail(text: string): number | undefined {
  // The last "}" of a complete object closes the outermost object, so a key followed by
  // exactly one brace before the end is a top-level key.
  const m = TAIL_ID.exec(text);
  return m ? Number(m[1]) : undefined;
}

function idFromHead(text: string): number | undefined {
  let depth = 0;
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      if (end === -1) return undefined;
      if (depth === 1 && expectKey) {
        const key = text.slice(i + 1, end);
        let j = skipSpace(text, end + 1);
        if (text.charCodeAt(j) !== 58 /* : */) return undefined;
        j = skipSpace(text, j + 1);
        if (key === 'id') {
          const m = /^\d{1,15}(?=\s*[,}])/.exec(text.slice(j, j + 32));
          return m ? Number(m[0]) : undefined;
        }
        i = j - 1;
        expectKey = false;
        continue;
      }
      i = end;
    } else if (c === 123 /* { */) {
      depth++;
      expectKey = true;
    } else if (c === 91 /* [ */) {
      depth++;
    } else if (c === 125 || c === 93) {
      depth--;
    } else if (c === 44 /* , */) {
      expectKey = true;
    }
  }
  return undefined;
}

function stringEnd(text: string, quote: number): number {
  for (let i = quote + 1; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 34) return i;
  }
  return -1;
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && (text.charCodeAt(i) === 32 || text.charCodeAt(i) === 9 || text.charCodeAt(i) === 10 || text.charCodeAt(i) === 13)) i++;
  return i;
}

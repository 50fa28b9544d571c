/**
 * One pass over the bytes of a JSON text, before it is parsed: refuses nesting deeper than a
 * limit and objects that repeat a key, and finds where each member of a top-level object sits,
 * so a body can be forwarded as received with a few members spliced.
 *
 * It reads bytes, not decoded text: JSON's structural characters are ASCII, and a byte below
 * 0x80 never occurs inside a multi-byte UTF-8 sequence. String contents are skipped with the
 * native Buffer.indexOf, which is what makes it cheap on prompts (mostly string bytes).
 * Malformed input is not reported here; JSON.parse reports it.
 */

/** A member of the top-level object: its decoded key and bytes from the key's opening quote to the end of its value. */
export interface JsonMember {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/** Where the top-level object's members are. Meaningful only for text JSON.parse accepts. */
export interface JsonObjectSpans {
  readonly members: readonly JsonMember[];
}

export interface JsonScan {
  /** Depth is checked first: a too-deep text is reported as such even when it also repeats a key. */
  readonly problem: 'too-deep' | 'duplicate-key' | null;
  /** null when the text is not an object (or has a problem). */
  readonly spans: JsonObjectSpans | null;
  /** With 'duplicate-key': the first key repeated, and the byte offset of its second occurrence's opening quote. */
  readonly repeated?: { readonly key: string; readonly offset: number };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const TOO_DEEP: JsonScan = { problem: 'too-deep', spans: null };

export function scanJson(buf: Buffer, maxDepth: number): JsonScan {
  const n = buf.length;
  // Counted like jsonDepthExceeds (it may go below zero on malformed input), so both agree.
  let depth = 0;
  // One entry per open bracket: the keys seen so far in that object, or null for an array.
  const frames: Array<Set<string> | null> = [];
  // Off after the first repeated key or malformed key: the verdict is known, only depth can still change it.
  let checkKeys = true;
  let repeated: { key: string; offset: number } | null = null;
  let rootSeen = false;
  let members: JsonMember[] | null = null;
  let open = -1;
  let close = -1;
  let memberKey = '';
  let memberStart = -1;

  for (let i = 0; i < n; i++) {
    const c = buf[i]!;
    if (c === QUOTE) {
      const end = closingQuote(buf, i);
      const keys = frames.length > 0 ? frames[frames.length - 1] : null;
      // In JSON a string followed by ':' is always an object key.
      if (keys && checkKeys && buf[afterSpace(buf, end + 1)] === COLON) {
        const key = decodeKey(buf, i, end);
        if (key === null || keys.has(key)) {
          // A malformed escape is left to JSON.parse; either way, nothing more to say about keys.
          if (key !== null) repeated = { key, offset: i };
          checkKeys = false;
          members = null;
        } else {
          keys.add(key);
          if (members !== null && frames.length === 1) {
            memberKey = key;
            memberStart = i;
          }
        }
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > maxDepth) return TOO_DEEP;
      if (!rootSeen) {
        rootSeen = true;
        if (c === OPEN_BRACE) {
          members = [];
          open = i;
        }
      }
      frames.push(c === OPEN_BRACE ? new Set() : null);
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COMMA) {
      if (members !== null && frames.length === 1 && memberStart >= 0) {
        // The member's value ends at the last non-space byte before the separator.
        let end = i;
        while (isSpace(buf[end - 1]!)) end--;
        members.push({ key: memberKey, start: memberStart, end });
        memberStart = -1;
      }
      if (c !== COMMA) {
        depth--;
        if (members !== null && frames.length === 1) close = i;
        frames.pop();
      }
    }
  }

  if (repeated !== null) return { problem: 'duplicate-key', spans: null, repeated };
  return { problem: null, spans: members !== null && close > open ? { members } : null };
}

/**
 * The index of the quote that ends the string opened at `open` (or the text's length): the
 * next quote preceded by an even run of backslashes, as an escape consumes the character after it.
 */
function closingQuote(buf: Buffer, open: number): number {
  let q = open;
  for (;;) {
    q = buf.indexOf(QUOTE, q + 1);
    if (q < 0) return buf.length;
    let b = q - 1;
    while (buf[b] === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q;
  }
}

/**
 * A key as JSON.parse would read it (keys are compared decoded: "\u006dodel" is "model"), or
 * null for a malformed escape. Only keys with a backslash need JSON.parse; plain ASCII ones
 * are read byte for byte.
 */
function decodeKey(buf: Buffer, open: number, close: number): string | null {
  let ascii = true;
  for (let i = open + 1; i < close; i++) {
    const c = buf[i]!;
    if (c === BACKSLASH) {
      try {
        return JSON.parse(buf.toString('utf8', open, close + 1)) as string;
      } catch {
        return null;
      }
    }
    if (c >= 0x80) ascii = false;
  }
  return buf.toString(ascii ? 'latin1' : 'utf8', open + 1, close);
}

function afterSpace(buf: Buffer, i: number): number {
  while (i < buf.length && isSpace(buf[i]!)) i++;
  return i;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

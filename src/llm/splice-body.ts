/**
 * A JSON object rebuilt from the bytes it was received as: members the gateway leaves alone are
 * copied as they came (runs of them in one slice), the few it sets are serialized afresh, and
 * the result is made with one copy. Serializing a 64 KB prompt again costs far more than this.
 *
 * Sound only because the bytes were scanned for repeated keys before the policies saw their
 * parse (readJsonBody refuses them): every member kept here is the value the policies read,
 * not an earlier twin that JSON.parse would have overwritten.
 */
import type { ReceivedBody } from './request-body.js';

/** A member the gateway writes, at its place when the body has it, else appended. */
export type MemberEdit = readonly [key: string, value: unknown];

const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');
const COMMA = Buffer.from(',');

/**
 * `received` with the `set` members written and `remove` left out. Members the current body
 * no longer has (fields dropped as redirecting) are left out too. A member already holding the
 * value it would be set to keeps its bytes.
 */
export function spliceBody(received: ReceivedBody, set: readonly MemberEdit[], remove: string | null): Buffer {
  const { raw, spans, body } = received;
  const pieces: Buffer[] = [OPEN];
  let length = OPEN.length + CLOSE.length;
  let placed = 0;
  let runStart = -1;
  let runEnd = -1;
  const push = (piece: Buffer) => {
    if (pieces.length > 1) {
      pieces.push(COMMA);
      length += COMMA.length;
    }
    pieces.push(piece);
    length += piece.length;
  };
  const endRun = () => {
    if (runStart < 0) return;
    push(raw.subarray(runStart, runEnd));
    runStart = -1;
  };

  for (const m of spans.members) {
    if (m.key === remove || !Object.hasOwn(body, m.key)) {
      endRun();
      continue;
    }
    const edit = set.findIndex((e) => e[0] === m.key);
    if (edit >= 0) {
      placed |= 1 << edit;
      if (body[m.key] !== set[edit]![1]) {
        endRun();
        push(memberBytes(set[edit]!));
        continue;
      }
    }
    // Kept as received; a run of kept members is one slice, separators and all.
    if (runStart < 0) runStart = m.start;
    runEnd = m.end;
  }
  endRun();
  for (let i = 0; i < set.length; i++) if ((placed & (1 << i)) === 0) push(memberBytes(set[i]!));
  pieces.push(CLOSE);
  return Buffer.concat(pieces, length);
}

function memberBytes([key, value]: MemberEdit): Buffer {
  return Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`);
}

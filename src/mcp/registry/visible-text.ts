/**
 * Making hidden characters visible, for whoever reviews an upstream's text: the approver at
 * a terminal, the audit trail, the admin API. A tool description can carry instructions a
 * human never sees (zero-width characters, Unicode tag characters, bidi overrides), so every
 * place that shows such text shows those characters as escapes instead.
 */

/**
 * Characters that render as nothing, reorder text or drive a terminal: controls (Cc),
 * format characters (Cf: zero-width, bidi, tags, soft hyphen), line/paragraph separators,
 * unusual spaces, private-use and lone surrogates, variation selectors, the combining
 * grapheme joiner and the Hangul fillers that fonts draw as blank.
 */
export const HIDDEN_CHAR =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Co}\p{Cs}\u00a0\u034f\u115f\u1160\u1680\u2000-\u200a\u202f\u205f\u2800\u3000\u3164\ufe00-\ufe0f\uffa0\u{e0100}-\u{e01ef}]/gu;

const hex = (ch: string): string => (ch.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');

/** Text for display: every hidden character (tabs and line breaks too) as `\u{XXXX}`. */
export function makeVisible(text: string): string {
  return text.replace(HIDDEN_CHAR, (ch) => `\\u{${hex(ch)}}`);
}

/**
 * JSON text with every hidden character written as a JSON `\uXXXX` escape (astral ones as a
 * surrogate pair): still valid JSON, parsing to the same value, but safe to print.
 */
export function visibleJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, null, indent).replace(HIDDEN_CHAR, (ch) => {
    // Inside strings JSON.stringify already escaped line breaks: a raw one is indentation.
    if (ch === '\n') return ch;
    let out = '';
    for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    return out;
  });
}

/** At most `max` characters of `text` (made visible), centred on `index` when it is given. */
export function excerpt(text: string, index = 0, length = 0, max = 160): string {
  const chars = Array.from(text);
  // Convert the UTF-16 index to a code point index so astral characters are never split.
  const at = Array.from(text.slice(0, index)).length;
  const span = Array.from(text.slice(index, index + length)).length;
  const before = Math.max(0, Math.floor((max - span) / 2));
  const start = Math.max(0, Math.min(at - before, chars.length - max));
  const end = Math.min(chars.length, start + max);
  return (start > 0 ? '…' : '') + makeVisible(chars.slice(start, end).join('')) + (end < chars.length ? '…' : '');
}

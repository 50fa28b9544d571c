/**
 * Dot-segment detection for path values (threat model B1/B2). Encoding a value as one segment
 * is not enough: WHATWG URL parsing turns `%2e%2E` into `..`, and servers or proxies that
 * decode once more (or decode `%2F`, or treat `\` as `/`, or drop `;params` as Tomcat does)
 * turn `%252e%252e` or `..%2F` into a step up. So a text is refused when it, or any of up to
 * MAX_DECODINGS successive lenient percent-decodings of it (`%XX` and IIS-style `%uXXXX`), has
 * a piece equal to `.` or `..` between `/` or `\` delimiters, ignoring a `;...` suffix.
 */

const MAX_DECODINGS = 8;

const DOT_PIECE = /(?:^|[/\\])\.{1,2}(?:;[^/\\]*)?(?:$|[/\\])/;
const ENCODED = /%(?:[0-9A-Fa-f]{2}|u[0-9A-Fa-f]{4})/;

export function hasDotSegment(text: string): boolean {
  // A dot can only appear literally or through a `%` escape.
  if (!text.includes('.') && !text.includes('%')) return false;
  let current = text;
  for (let round = 0; ; round++) {
    if (DOT_PIECE.test(current)) return true;
    if (round === MAX_DECODINGS || !ENCODED.test(current)) return false;
    // Annex B unescape is exactly the lenient decoder needed (`%XX` as one char, `%uXXXX`,
    // malformed escapes left alone), and native: a callback per escape costs seconds on 100 MB.
    current = unescape(current);
  }
}

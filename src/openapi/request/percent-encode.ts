/**
 * Percent-encoders for the URL parts the request builder writes. Every encoder works on the
 * UTF-8 bytes of the text, as RFC 3986 and RFC 6570 require.
 *
 * Strict (`encodeStrict`): keeps only RFC 3986 unreserved characters, `A-Z a-z 0-9 - . _ ~`;
 * everything else is encoded, including all gen-delims `: / ? # [ ] @`, all sub-delims
 * `! $ & ' ( ) * + , ; =`, `%` and space (as `%20`). This is RFC 6570's simple-expansion set, so
 * one value can never add a path segment, a query pair, a delimiter of the style or a cookie
 * separator. encodeURIComponent leaves `! ' ( ) *` alone; they are encoded on top of it.
 *
 * Reserved (`encodeAllowReserved`, for `allowReserved: true`): RFC 6570 reserved expansion, but
 * still encoding what the spec says the application must encode in a query or form body:
 * kept are unreserved, `: / ? @ ! $ ' ( ) * , ;` and `%XX` triples; encoded are `# [ ] & = +`,
 * space, `%` not starting a triple, and everything outside ASCII. So `x&admin=true` stays one
 * value under either encoder.
 */

/** A value the builder cannot put in a request; its message becomes the argument's problem. */
export class ValueProblem extends Error {}

export function encodeStrict(text: string): string {
  return utf8(encodeURIComponent, text).replace(/[!'()*]/g, hexOf);
}

export function encodeAllowReserved(text: string): string {
  // encodeURI keeps `; , / ? : @ & = + $ # ! ' ( ) *` and unreserved; it encodes `%`, `[`, `]`.
  return utf8(encodeURI, text).replace(/[&=+#]|%25([0-9A-Fa-f]{2})/g, (m, hex: string | undefined) =>
    hex === undefined ? hexOf(m) : `%${hex}`,
  );
}

function hexOf(ch: string): string {
  return `%${ch.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`;
}

/** The built-in encoders throw a URIError for a lone surrogate, which has no UTF-8 form. */
function utf8(encode: (text: string) => string, text: string): string {
  try {
    return encode(text);
  } catch (err) {
    if (!(err instanceof URIError)) throw err;
    throw new ValueProblem('contains an unpaired UTF-16 surrogate, which has no UTF-8 encoding');
  }
}

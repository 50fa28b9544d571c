/**
 * Characters that can drive a terminal or disguise text when an untrusted string (a spec's
 * key, an audit field) is shown or logged: C0/C1 controls, DEL, line and paragraph
 * separators, and bidi overrides, isolates and marks.
 */
export const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `s` with every such character replaced. */
export function neutralize(s: string, replacement = ' '): string {
  return s.replace(UNSAFE_CHARS, replacement);
}

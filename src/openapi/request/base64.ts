/**
 * Base64 from agents (file parts, octet-stream bodies). Buffer.from(..., 'base64') silently
 * skips characters it does not know, so the text is checked first: the standard or URL-safe
 * alphabet, at most two `=` of padding at the end, a length a real encoding can have. Line
 * breaks and spaces (MIME-style base64) are allowed, at the cost of one copy without them.
 */
import { ValueProblem } from './percent-encode.js';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const BASE64_WITH_SPACE = /^[A-Za-z0-9+/_=\s-]*$/;

export function decodeBase64(value: unknown): Uint8Array {
  if (typeof value !== 'string') throw new ValueProblem('must be a base64 string (binary content)');
  let text = value;
  if (!BASE64.test(text)) {
    if (BASE64_WITH_SPACE.test(text)) text = text.replace(/\s+/g, '');
    if (!BASE64.test(text)) throw new ValueProblem('is not valid base64 (characters outside the base64 alphabet, or misplaced "=")');
  }
  const padded = text.endsWith('=');
  if (padded ? text.length % 4 !== 0 : text.length % 4 === 1) {
    throw new ValueProblem('is not valid base64 (its length cannot be that of an encoding)');
  }
  // Node's base64 decoder reads both the standard and the URL-safe alphabet.
  return Buffer.from(text, 'base64');
}

import { sha256Base64url } from '../util/sha256.js';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * A short, stable digest of a value's canonical JSON: equal for equal values whatever their
 * key order. 128 bits of SHA-256 in base64url (22 characters): collisions are out of reach,
 * and the history holds one per call.
 */
export function argsDigest(value: unknown): string {
  return sha256Base64url(canonicalJson(value)).slice(0, 22);
}

import { createHash } from 'node:crypto';
import { canonicalJson } from '../util/canonical-json.js';

/**
 * A short, stable digest of a value's canonical JSON: equal for equal values whatever their
 * key order. 128 bits of SHA-256 in base64url (22 characters): collisions are out of reach,
 * and the history holds one per call.
 */
export function argsDigest(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('base64url').slice(0, 22);
}

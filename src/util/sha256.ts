import * as crypto from 'node:crypto';

// crypto.hash (Node >= 20.12, package.json's engines) digests in one call, without the Hash
// object createHash makes. Each such object is a native handle the young-generation garbage
// collector must process; on the request path they added to every scavenge's pause.
const oneShot = (crypto as unknown as { hash: (alg: string, data: string | Uint8Array, enc: 'hex' | 'base64url') => string }).hash;

/** Lowercase hex SHA-256 of UTF-8 text or bytes. */
export function sha256Hex(data: string | Uint8Array): string {
  return oneShot('sha256', data, 'hex');
}

/** Base64url SHA-256 of UTF-8 text or bytes. */
export function sha256Base64url(data: string | Uint8Array): string {
  return oneShot('sha256', data, 'base64url');
}

import { randomBytes } from 'node:crypto';
import { sha256Hex } from '../util/sha256.js';
import { crc32 } from 'node:zlib';

/**
 * Agent key format: `wdn_` + key id (12) + secret (40) + checksum (6), all base62.
 *
 *  - The prefix makes leaked keys recognizable (by Warden's own secret scanners and by
 *    public scanners).
 *  - The key id is public: it names the key in lists, logs and the audit trail, and lets
 *    the gateway look the key up before comparing digests.
 *  - The secret carries ~238 bits of entropy, so a plain SHA-256 digest is a safe at-rest
 *    form (no slow hash needed: nothing to brute-force).
 *  - The CRC-32 checksum lets a scanner tell a real key from random text offline, and
 *    lets the gateway drop corrupted keys without a lookup.
 */
export const KEY_PREFIX = 'wdn_';
const ID_LEN = 12;
const SECRET_LEN = 40;
const CHECK_LEN = 6;
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PATTERN = /^wdn_([0-9A-Za-z]{12})([0-9A-Za-z]{40})([0-9A-Za-z]{6})$/;
/** Finds candidate keys inside arbitrary text (for scanners). */
export const KEY_SCAN_PATTERN = /\bwdn_[0-9A-Za-z]{58}\b/g;

function base62(bytes: Buffer, length: number): string {
  // Rejection sampling keeps every character uniform (256 is not a multiple of 62).
  let out = '';
  let pool = bytes;
  let i = 0;
  while (out.length < length) {
    if (i >= pool.length) {
      pool = randomBytes(length * 2);
      i = 0;
    }
    const b = pool[i++]!;
    if (b < 248) out += ALPHABET[b % 62];
  }
  return out;
}

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECK_LEN; i++) {
    out = ALPHABET[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export interface NewKey {
  key: string;
  keyId: string;
  digest: string;
}

export function generateKey(): NewKey {
  const keyId = base62(randomBytes(ID_LEN * 2), ID_LEN);
  const secret = base62(randomBytes(SECRET_LEN * 2), SECRET_LEN);
  const body = `${KEY_PREFIX}${keyId}${secret}`;
  const key = body + checksum(body);
  return { key, keyId, digest: digestKey(key) };
}

/** Parses a presented key; null when it is not a well-formed key with a valid checksum. */
export function parseKey(presented: string): { keyId: string } | null {
  const m = KEY_PATTERN.exec(presented);
  if (!m) return null;
  const body = presented.slice(0, KEY_PREFIX.length + ID_LEN + SECRET_LEN);
  if (checksum(body) !== m[3]) return null;
  return { keyId: m[1]! };
}

/** True for any string that has the shape and checksum of a Warden key (scanner use). */
export function looksLikeKey(text: string): boolean {
  return parseKey(text) !== null;
}

export function digestKey(key: string): string {
  return sha256Hex(key);
}

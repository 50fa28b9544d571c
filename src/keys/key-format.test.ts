import { describe, expect, it } from 'vitest';
import { digestKey, generateKey, KEY_SCAN_PATTERN, parseKey } from './key-format.js';

describe('agent key format', () => {
  it('generates prefixed keys whose checksum validates and whose id is embedded', () => {
    const { key, keyId, digest } = generateKey();
    expect(key).toMatch(/^wdn_[0-9A-Za-z]{58}$/);
    expect(parseKey(key)).toEqual({ keyId });
    expect(digest).toBe(digestKey(key));
    expect(digest).not.toContain(key.slice(16));
  });

  it('rejects a key with any single character changed (checksum)', () => {
    const { key } = generateKey();
    let rejected = 0;
    for (let i = 4; i < key.length; i++) {
      const c = key[i] === 'a' ? 'b' : 'a';
      if (parseKey(key.slice(0, i) + c + key.slice(i + 1)) === null) rejected++;
    }
    // CRC-32 catches every single-character substitution.
    expect(rejected).toBe(key.length - 4);
  });

  it('rejects wrong prefixes, lengths and characters', () => {
    const { key } = generateKey();
    expect(parseKey(key.replace('wdn_', 'wdx_'))).toBeNull();
    expect(parseKey(key.slice(0, -1))).toBeNull();
    expect(parseKey(`${key}x`)).toBeNull();
    expect(parseKey(key.slice(0, 20) + '-' + key.slice(21))).toBeNull();
    expect(parseKey('')).toBeNull();
  });

  it('produces distinct keys and ids', () => {
    const ids = new Set<string>();
    const keys = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const k = generateKey();
      ids.add(k.keyId);
      keys.add(k.key);
    }
    expect(ids.size).toBe(500);
    expect(keys.size).toBe(500);
  });

  it('can be found inside text by the scan pattern', () => {
    const { key } = generateKey();
    const found = `log line token=${key} end`.match(KEY_SCAN_PATTERN);
    expect(found).toEqual([key]);
  });
});

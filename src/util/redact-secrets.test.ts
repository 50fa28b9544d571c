import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets } from './redact-secrets.js';

const KEY = 'k3y/with space&ü"';

describe('redactSecrets', () => {
  it('replaces the raw secret wherever it occurs', () => {
    expect(redactSecrets(`key=${KEY}; again ${KEY}`, [KEY])).toBe('key=[REDACTED]; again [REDACTED]');
  });

  it('replaces percent-encoded forms, as in a query key echoed inside a URL', () => {
    const upper = encodeURIComponent(KEY);
    const lower = upper.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    const form = new URLSearchParams({ k: KEY }).toString().slice(2);
    const text = `GET /pets?api_key=${upper} | ${lower} | ${form}`;
    expect(redactSecrets(text, [KEY])).toBe('GET /pets?api_key=[REDACTED] | [REDACTED] | [REDACTED]');
  });

  it("replaces the stricter percent-encoding Python's quote and Go's QueryEscape write (!'()* escaped)", () => {
    const key = 'QKEY-secret-Alpha*1!';
    expect(redactSecrets('next=https://x/y?api_key=QKEY-secret-Alpha%2A1%21 | QKEY-secret-Alpha%2a1%21', [key])).toBe('next=https://x/y?api_key=[REDACTED] | [REDACTED]');
  });

  it('replaces JSON-escaped forms, including \\uXXXX and \\/ escapes', () => {
    const json = JSON.stringify({ echoed: KEY });
    const ascii = '{"echoed":"k3y\\/with space&\\u00fc\\""}';
    expect(redactSecrets(json, [KEY])).toBe('{"echoed":"[REDACTED]"}');
    expect(redactSecrets(ascii, [KEY])).toBe('{"echoed":"[REDACTED]"}');
  });

  it('replaces the longest form first, so "Bearer <token>" and base64(user:pass) go whole', () => {
    const b64 = Buffer.from('alice:pa55word').toString('base64');
    const secrets = ['pa55word', b64, `Basic ${b64}`, 'tok-123', 'Bearer tok-123'];
    expect(redactSecrets(`Authorization: Basic ${b64}, then Bearer tok-123`, secrets)).toBe('Authorization: [REDACTED], then [REDACTED]');
  });

  it('leaves secrets shorter than four characters alone rather than shredding the text', () => {
    expect(redactSecrets('abc abcd', ['abc'])).toBe('abc abcd');
    expect(redactSecrets('abc abcd', ['abcd'])).toBe('abc [REDACTED]');
  });

  it('treats regular-expression characters in a secret literally', () => {
    expect(redactSecrets('a.b*c a-b*c', ['a.b*c'])).toBe('[REDACTED] a-b*c');
  });

  it('replaces only whole secrets, never a prefix (no guessing oracle)', () => {
    expect(redactSecrets('s3cret-valu', ['s3cret-value'])).toBe('s3cret-valu');
  });
});

describe('redactDeep', () => {
  it('returns a value holding no secret as the same object, uncopied', () => {
    const value = { a: ['x', { b: 'y' }], n: 1 };
    expect(redactDeep(value, [KEY])).toBe(value);
  });

  it('redacts strings and keys at any depth and leaves other values alone', () => {
    const value = { [KEY]: 1, list: [KEY, 2, true, null, { deep: `x ${KEY}` }], n: 3 };
    expect(redactDeep(value, [KEY])).toEqual({ '[REDACTED]': 1, list: ['[REDACTED]', 2, true, null, { deep: 'x [REDACTED]' }], n: 3 });
    expect(value.list[0]).toBe(KEY); // the input is not modified
  });

  it('keeps a "__proto__" key as data', () => {
    const value = JSON.parse(`{"__proto__": {"polluted": "${'s3cret'}"}}`) as unknown;
    const out = redactDeep(value, ['s3cret']) as Record<string, unknown>;
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).toEqual({ polluted: '[REDACTED]' });
  });

  it('walks 100,000 levels of nesting without overflowing the stack', () => {
    let value: unknown = 'secret-leaf';
    for (let i = 0; i < 100_000; i++) value = [value];
    let out = redactDeep(value, ['secret-leaf']);
    for (let i = 0; i < 100_000; i++) out = (out as unknown[])[0];
    expect(out).toBe('[REDACTED]');
  });

  it('finishes on a cyclic value, giving a copy with the same cycle', () => {
    const a: Record<string, unknown> = { s: 'secret-1' };
    a.self = a;
    const out = redactDeep(a, ['secret-1']) as Record<string, unknown>;
    expect(out.s).toBe('[REDACTED]');
    expect(out.self).toBe(out);
  });
});

import { describe, expect, it } from 'vitest';
import type { ProviderRuntime } from './provider-runtime.js';
import { scrubSecrets } from './scrub-secrets.js';

const KEY = 'sk-PROVIDERSECRET-1234567890abcdef';
const provider = (secrets: string[]) => ({ secrets }) as unknown as ProviderRuntime;
const scrub = (text: string, secrets = [KEY]) => scrubSecrets(Buffer.from(text), provider(secrets)).toString();

describe('scrubSecrets: a provider secret echoed in an answer', () => {
  it('replaces the key as sent, and returns the very buffer when there is none', () => {
    expect(scrub(`{"content":"key ${KEY} twice ${KEY}"}`)).toBe('{"content":"key [redacted] twice [redacted]"}');
    const clean = Buffer.from('{"content":"nothing to see \\u4e2d"}');
    expect(scrubSecrets(clean, provider([KEY]))).toBe(clean);
  });

  it('finds it spelt with needless \\uXXXX escapes, which any JSON client decodes to the key', () => {
    const partly = '{"content":"\\u0073k-PROVIDERSECRET\\u002d1234567890abcdef"}';
    const fully = JSON.stringify({ content: KEY }).replace(KEY, [...KEY].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join(''));
    expect(JSON.parse(partly).content).toBe(KEY);
    expect(scrub(partly)).toBe('{"content":"[redacted]"}');
    expect(scrub(fully)).toBe('{"content":"[redacted]"}');
    expect(scrub(`data: {"delta":"\\u0073${KEY.slice(1)}"}\n\n`)).toBe('data: {"delta":"[redacted]"}\n\n');
  });

  it('keeps the JSON value of what it does not redact, escaped quotes and backslashes included', () => {
    const text = '{"a":"\\u0073k-PROVIDERSECRET-1234567890abcdef","b":"say \\u0022hi\\u0022 \\\\u0041 \\u0041\\u00e9"}';
    const out = scrub(text);
    expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), a: '[redacted]' });
  });

  it('does not read an escaped backslash as the start of an escape', () => {
    // The text of "\\u0073k-..." is a backslash and "u0073k-...", not the key.
    const text = `{"a":"\\\\u0073${KEY.slice(1)}"}`;
    expect(JSON.parse(text).a).not.toBe(KEY);
    expect(scrub(text)).toBe(text);
  });

  it('finds JSON-escaped forms of a secret with characters JSON escapes (a secret header value)', () => {
    const secret = 'tok/"abc"/ü';
    expect(scrub(JSON.stringify({ echoed: secret }), [secret])).toBe('{"echoed":"[redacted]"}');
    expect(scrub('{"echoed":"tok\\/\\"abc\\"\\/\\u00fc"}', [secret])).toBe('{"echoed":"[redacted]"}');
    expect(scrub('{"echoed":"tok/\\"abc\\"/\\u00FC"}', [secret])).toBe('{"echoed":"[redacted]"}'); // upper-case hex (Java, .NET)
  });

  it('stays linear on long runs of backslashes (a model asked to print them)', () => {
    const text = `{"content":"${'\\\\'.repeat(100_000)} caf\\u00e9 \\u0041"}`;
    const t0 = performance.now();
    expect(JSON.parse(scrub(text)).content).toBe(JSON.parse(text).content);
    // A guard against catastrophic backtracking, not a benchmark: the quadratic pattern this
    // replaced took about 20 s here; the linear one takes milliseconds.
    expect(performance.now() - t0).toBeLessThan(2000);
  });
});

import { describe, expect, it } from 'vitest';
import { hasDotSegment } from './dot-segments.js';

describe('hasDotSegment', () => {
  it.each(['.', '..', '%2e', '%2E%2e', '.%2E', '%252e%252e', '%25252e', '%u002e%u002E', '%%32%65', '..;x=1', 'a/..', '..\\b', '%2e%2e%2fadmin', '/a/./b'])(
    'finds a dot segment in %j',
    (text) => expect(hasDotSegment(text)).toBe(true),
  );

  it.each(['', 'a', '...', '.a', 'a.', 'a..b', '%2e%2e%2e', 'v1.0', '%41', '100%', '/a/b/'])('finds none in %j', (text) => {
    expect(hasDotSegment(text)).toBe(false);
  });

  it('stops after eight rounds of decoding', () => {
    const layered = (rounds: number): string => `%${'25'.repeat(rounds - 1)}2e`;
    expect(hasDotSegment(layered(8))).toBe(true);
    expect(hasDotSegment(layered(9))).toBe(false);
  });
});

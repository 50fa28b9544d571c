import { describe, expect, it } from 'vitest';
import { queryPairName, withQueryPairs } from './query-pair.js';

describe('query pairs', () => {
  it('reads a pair name decoded, with + as a space, and keeps a malformed escape as it is', () => {
    expect(queryPairName('api%5Fkey=1')).toBe('api_key');
    expect(queryPairName('a+b=1')).toBe('a b');
    expect(queryPairName('bad%zz')).toBe('bad%zz');
  });

  it('adds the pairs, replacing any of the same name (however it is spelt), and keeps the rest', () => {
    expect(withQueryPairs('/x', ['api_key=s'])).toBe('/x?api_key=s');
    expect(withQueryPairs('/x?a=1&api%5Fkey=other&b=2', ['api_key=s'])).toBe('/x?a=1&b=2&api_key=s');
    expect(withQueryPairs('/x?a=1', [])).toBe('/x?a=1');
  });
});

import { describe, expect, it } from 'vitest';
import { compileGlob, globMatcher } from './glob.js';

describe('catalog globs', () => {
  it.each([
    ['crm_*', 'crm_search', true],
    ['crm_*', 'crm_', true],
    ['crm_*', 'xcrm_search', false],
    ['*_delete', 'crm_delete', true],
    ['gpt-4o?', 'gpt-4o1', true],
    ['gpt-4o?', 'gpt-4o', false],
    ['openai/gpt-4.1*', 'openai/gpt-4.1-mini', true],
    ['openai/gpt-4.1*', 'openai/gpt-4x1', false],
    ['Kb_Search', 'kb_search', false],
    ['*', '', true],
  ])('%s matches %s: %s', (pattern, name, expected) => {
    expect(compileGlob(pattern).test(name)).toBe(expected);
  });

  it('treats regex metacharacters literally', () => {
    expect(compileGlob('a.b').test('axb')).toBe(false);
    expect(compileGlob('a.b').test('a.b')).toBe(true);
  });

  it('matches a name against any pattern of a list', () => {
    const m = globMatcher(['kb_*', 'crm_read']);
    expect(m('kb_search')).toBe(true);
    expect(m('crm_read')).toBe(true);
    expect(m('crm_write')).toBe(false);
    expect(globMatcher([])('anything')).toBe(false);
  });
});

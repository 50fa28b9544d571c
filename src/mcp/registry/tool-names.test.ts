import { describe, expect, it } from 'vitest';
import { MAX_PUBLIC_NAME_LENGTH, nameHash, publicToolName, unprefixedNameProblem } from './tool-names.js';

const CLIENT_SAFE = /^[A-Za-z0-9_-]{1,64}$/;

describe('public tool names', () => {
  it('keeps a name that is already client-safe and short enough verbatim, behind the upstream prefix', () => {
    expect(publicToolName('github', 'create_issue')).toBe('github__create_issue');
    expect(publicToolName('everything', 'get-tiny-image')).toBe('everything__get-tiny-image');
  });

  it('replaces characters outside [A-Za-z0-9_-] and marks the result with a hash of the original name', () => {
    const name = publicToolName('fs', 'files.read/v2');
    expect(name).toBe(`fs__files_read_v2_${nameHash('files.read/v2')}`);
    expect(name).toMatch(CLIENT_SAFE);
    // A non-ASCII character (one code point, two UTF-16 units) becomes exactly one underscore.
    expect(publicToolName('x', 'météo😀')).toBe(`x__m_t_o__${nameHash('météo😀')}`);
  });

  it('never exceeds 64 characters, keeping a readable prefix', () => {
    const long = 'summarize_the_quarterly_financial_report_for_the_board_of_directors';
    const name = publicToolName('a-very-long-upstream-id1', long);
    expect(name.length).toBe(MAX_PUBLIC_NAME_LENGTH);
    expect(name).toMatch(CLIENT_SAFE);
    expect(name.startsWith('a-very-long-upstream-id1__summarize_the_quar')).toBe(true);
    expect(name.endsWith(`_${nameHash(long)}`)).toBe(true);
    // Exactly at the limit stays verbatim; one more character gets shortened.
    const fits = 'x'.repeat(64 - 'up__'.length);
    expect(publicToolName('up', fits)).toBe(`up__${fits}`);
    expect(publicToolName('up', `${fits}x`)).not.toBe(`up__${fits}x`);
    expect(publicToolName('up', `${fits}x`).length).toBeLessThanOrEqual(64);
  });

  it('gives two names that sanitize alike different public names, whatever else the upstream lists', () => {
    const dotted = publicToolName('svc', 'a.b');
    const plain = publicToolName('svc', 'a_b');
    const slashed = publicToolName('svc', 'a/b');
    expect(new Set([dotted, plain, slashed]).size).toBe(3);
    expect(plain).toBe('svc__a_b');
    // Long names differing only past the kept prefix differ too.
    const base = 'x'.repeat(80);
    expect(publicToolName('svc', `${base}1`)).not.toBe(publicToolName('svc', `${base}2`));
  });

  it('is deterministic: the same upstream name always maps to the same public name', () => {
    expect(publicToolName('svc', 'weird name!')).toBe(publicToolName('svc', 'weird name!'));
    expect(nameHash('abc')).toMatch(/^[a-z2-7]{8}$/);
    expect(nameHash('abc')).toBe(nameHash('abc'));
    expect(nameHash('abc')).not.toBe(nameHash('abd'));
  });

  it('hashes an empty name rather than producing an empty tool part', () => {
    expect(publicToolName('svc', '')).toBe(`svc___${nameHash('')}`);
  });
});

describe('unprefixed tool and prompt names', () => {
  it('refuses a name with the namespace separator, which would sit in an upstream\'s namespace', () => {
    expect(unprefixedNameProblem('github__delete_repo')).toContain('namespace separator');
    expect(unprefixedNameProblem('x__')).not.toBeNull();
    expect(unprefixedNameProblem('delete_repo')).toBeNull();
    expect(unprefixedNameProblem('get-tiny_image')).toBeNull();
  });

  it('never gets a "__" from sanitizing or shortening', () => {
    expect(publicToolName(null, 'test_simple_text')).toBe('test_simple_text');
    expect(publicToolName(null, 'github._delete')).toBe(`github_delete_${nameHash('github._delete')}`);
    expect(publicToolName(null, 'get.')).toBe(`get_${nameHash('get.')}`);
    expect(publicToolName(null, 'a..b')).toBe(`a_b_${nameHash('a..b')}`);
    // The 55-character cut falls right after an underscore.
    const long = `${'x'.repeat(54)}_.${'y'.repeat(20)}`;
    expect(publicToolName(null, long)).toBe(`${'x'.repeat(54)}_${nameHash(long)}`);
    for (const n of ['github._delete', 'get.', 'a..b', long, '...', '']) expect(publicToolName(null, n)).not.toContain('__');
  });
});

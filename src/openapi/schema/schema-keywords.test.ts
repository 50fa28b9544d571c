import { describe, expect, it } from 'vitest';
import { bytesSchema, carriesBytes, isValidPattern, readTypes, scalarKeywords } from './schema-keywords.js';

function collect(): { warn: (m: string) => void; warnings: string[] } {
  const warnings: string[] = [];
  return { warn: (m) => warnings.push(m), warnings };
}

describe('schema keywords without recursion', () => {
  it('reads types, folding 3.0 nullable into "null", dropping unknown ones with a warning', () => {
    const w = collect();
    expect(readTypes({ type: ['string', 'strnig', 'string'], nullable: true }, w.warn)).toEqual({ types: ['string', 'null'], fileType: false });
    expect(w.warnings).toEqual(['unknown type "strnig" dropped']);
    expect(readTypes({ type: 'file' }, w.warn)).toEqual({ types: ['string'], fileType: true });
    expect(readTypes({ type: 7 }, w.warn)).toEqual({ types: null, fileType: false });
    expect(w.warnings).toHaveLength(2);
  });

  it('keeps valid constraints and drops those a validator would reject, saying which', () => {
    const w = collect();
    const out: Record<string, unknown> = {};
    scalarKeywords({ pattern: '[a-', minLength: -1, maxLength: 3, minimum: 1, exclusiveMinimum: true, multipleOf: 0, format: 'uuid' }, out, w.warn);
    expect(out).toEqual({ format: 'uuid', exclusiveMinimum: 1, maxLength: 3 });
    expect(w.warnings).toEqual(['pattern "[a-" is not a valid (unicode) regular expression; dropped', 'minLength is not a non-negative integer; dropped']);
  });

  it('compiles patterns with the unicode flag, as validators do', () => {
    expect(isValidPattern('^\\d+$')).toBe(true);
    expect(isValidPattern('\\-')).toBe(false); // an identity escape is legal without `u`, not with it
  });

  it('turns a byte-carrying string into a described base64 argument', () => {
    expect(carriesBytes({ format: 'binary' }, ['string'], false)).toBe(true);
    expect(carriesBytes({ format: 'binary' }, ['integer'], false)).toBe(false);
    expect(bytesSchema({ description: 'The file. ', contentMediaType: 'image/png', deprecated: true })).toEqual({
      type: 'string',
      contentEncoding: 'base64',
      description: 'The file. (base64, image/png)',
      deprecated: true,
    });
  });
});

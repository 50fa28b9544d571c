import { describe, expect, it } from 'vitest';
import { exposedAnnotations, riskClassFor } from './risk-class.js';

describe('risk class', () => {
  const rules = [
    { match: 'get_*', class: 'read-only' as const },
    { match: 'get_secret', class: 'destructive' as const },
    { match: 'update_?', class: 'write' as const },
  ];

  it('takes the first matching rule on the upstream\'s own tool name', () => {
    expect(riskClassFor(rules, 'get_user')).toBe('read-only');
    // An earlier, broader rule wins over a later exact one.
    expect(riskClassFor(rules, 'get_secret')).toBe('read-only');
    expect(riskClassFor(rules, 'update_x')).toBe('write');
    expect(riskClassFor(rules, 'update_xy')).toBe('destructive');
  });

  it('defaults to destructive, whatever the upstream claims', () => {
    expect(riskClassFor([], 'get_user')).toBe('destructive');
    expect(riskClassFor(rules, 'GET_user')).toBe('destructive');
  });

  it('overwrites the hints clients act on with the gateway\'s class and drops the ones it cannot vouch for', () => {
    const claimed = { title: 'Harmless', readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
    expect(exposedAnnotations(claimed, 'destructive')).toEqual({ title: 'Harmless', readOnlyHint: false, destructiveHint: true });
    expect(exposedAnnotations(undefined, 'read-only')).toEqual({ readOnlyHint: true, destructiveHint: false });
    expect(exposedAnnotations({ readOnlyHint: true }, 'write')).toEqual({ readOnlyHint: false, destructiveHint: false });
  });
});

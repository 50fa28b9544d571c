import { describe, expect, it } from 'vitest';
import { CONTENT_KEYS, FIELDS, GENESIS_HASH, MAX_JSON_FIELD_CHARS, MAX_TARGET_CHARS, contentString, hashRow, safeRow, toRow, type AuditRow } from './chain.js';
import { sampleEvent } from './test-fixtures.js';

describe('record content serialization', () => {
  it('treats missing and null fields alike and includes seq', () => {
    const a = toRow({ time: 1, requestId: 'r', channel: 'mcp', action: 'x', decision: 'allow' });
    const b = toRow({ time: 1, requestId: 'r', channel: 'mcp', action: 'x', decision: 'allow', target: null, details: null, traceId: undefined });
    expect(contentString(1, a)).toBe(contentString(1, b));
    expect(contentString(1, a)).toContain('"seq":1');
    expect(JSON.parse(contentString(7, toRow(sampleEvent(1))))).toMatchObject({ seq: 7, requestId: 'req-1', redactions: '{"email":1}' });
  });

  it('serializes every content field plus seq, in sorted key order', () => {
    const keys = Object.keys(JSON.parse(contentString(1, toRow(sampleEvent(1)))) as object);
    expect(keys).toEqual([...CONTENT_KEYS]);
    expect(keys).toEqual([...FIELDS.map((f) => f[0] as string), 'seq'].sort());
  });

  it('stores JSON-valued fields as canonical text', () => {
    expect(toRow(sampleEvent(1, { details: { z: 1, a: [2] } })).details).toBe('{"a":[2],"z":1}');
  });

  it('replaces an oversized JSON-valued field with "[TooLarge]" and records that in details', () => {
    const big = 'x'.repeat(MAX_JSON_FIELD_CHARS);
    const details: Record<string, string> = {};
    for (let i = 0; i < 600; i++) details['k' + i] = big;
    const row = toRow(sampleEvent(1, { details, status: 200, decision: 'allow' }));
    expect(JSON.parse(row.details ?? 'null')).toEqual({ auditTooLarge: ['details'], value: '[TooLarge]' });
    expect(row).toMatchObject({ status: 200, decision: 'allow' });
    const row2 = toRow(sampleEvent(2, { path: [big, big] as unknown as never, details: { keep: 1 } }));
    expect(row2.path).toBe('"[TooLarge]"');
    expect(JSON.parse(row2.details ?? 'null')).toEqual({ keep: 1, auditTooLarge: ['path'] });
  });
});

describe('safeRow', () => {
  it('cuts a target longer than MAX_TARGET_CHARS, keeping its length and a digest', () => {
    const name = `evil__${'q'.repeat(1_000_000)}`;
    const row = toRow(sampleEvent(1, { target: name }));
    expect(row.target!.length).toBeLessThanOrEqual(MAX_TARGET_CHARS);
    expect(row.target).toMatch(/^evil__q+…\[1000006 characters, sha256 [0-9a-f]{32}\]$/);
    expect(toRow(sampleEvent(1, { target: 'x'.repeat(MAX_TARGET_CHARS) })).target).toBe('x'.repeat(MAX_TARGET_CHARS));
  });

  it('turns an event that cannot be normalized into a placeholder row instead of throwing', () => {
    const bad = { toJSON: () => { throw new RangeError('Invalid string length'); } };
    const row = safeRow(sampleEvent(1, { status: 403, decision: 'deny', details: bad as unknown as Record<string, unknown> }));
    expect(row).toMatchObject({ requestId: 'req-1', status: 403, decision: 'deny' });
    expect(JSON.parse(row.details ?? '{}')).toEqual({ auditError: expect.stringMatching(/RangeError: Invalid string length/) });
    expect(safeRow(sampleEvent(2))).toEqual(toRow(sampleEvent(2)));
  });

  it('keeps wrongly typed string fields as JSON.stringify would have: a date as its ISO text, a symbol as null, an object as JSON', () => {
    const odd = { target: new Date(0), reason: Symbol('x'), policy: Object.assign(Object.create(null) as object, { k: 1 }) };
    const row = safeRow(sampleEvent(3, odd as unknown as Record<string, unknown>));
    expect(row).toMatchObject({ target: '1970-01-01T00:00:00.000Z', reason: null, policy: '{"k":1}' });
    expect(JSON.parse(row.details ?? '{}')).toEqual({ i: 3 });
  });
});

describe('hashRow', () => {
  it('never hashes a value read back as a BLOB like the text or number of the same bytes', () => {
    const row = toRow(sampleEvent(1));
    const hash = hashRow(GENESIS_HASH, 1, row);
    const blob = (v: unknown) => Buffer.from(String(v)) as unknown;
    expect(hashRow(GENESIS_HASH, 1, { ...row, agentId: blob(row.agentId) } as AuditRow)).not.toBe(hash);
    expect(hashRow(GENESIS_HASH, 1, { ...row, time: blob(row.time) } as AuditRow)).not.toBe(hash);
    expect(hashRow(GENESIS_HASH, 1, { ...row, time: String(row.time) } as unknown as AuditRow)).not.toBe(hash);
  });
});

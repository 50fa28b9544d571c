import { describe, expect, it } from 'vitest';
import { FIELDS, toRow } from './chain.js';
import { rowFromValues, rowValues } from './row-values.js';
import { sampleEvent } from './test-fixtures.js';

describe('row values (the rows sent to the writer thread)', () => {
  it('lists every field in FIELDS order', () => {
    const row = toRow(sampleEvent(1, { traceId: 't', parentId: 'p', keyId: 'k', policy: 'pol', code: 'C', reason: 'r', latencyMs: 2, tokensIn: 3, tokensOut: 4, costUsd: 0.5, requestBytes: 6, responseBytes: 7, path: [{ policy: 'x', decision: 'allow', ms: 1 }] }));
    const values = rowValues(row);
    expect(values).toHaveLength(FIELDS.length);
    FIELDS.forEach(([name], i) => expect(values[i]).toBe(row[name]));
  });

  it('round-trips a row, through a structured clone as postMessage makes', () => {
    const row = toRow(sampleEvent(2, { traceId: null, details: null }));
    expect(rowFromValues(structuredClone(rowValues(row)))).toEqual(row);
  });
});

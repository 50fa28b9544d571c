import { describe, expect, it } from 'vitest';
import { FIELDS, contentHalves, contentString, hashRow, toRow } from './chain.js';
import { halvesFromValues, rowFromValues, rowValues } from './row-values.js';
import { sampleEvent } from './test-fixtures.js';

describe('row values (the rows sent to the writer thread)', () => {
  it('lists every field in FIELDS order, then the content halves', () => {
    const row = toRow(sampleEvent(1, { traceId: 't', parentId: 'p', keyId: 'k', policy: 'pol', code: 'C', reason: 'r', latencyMs: 2, tokensIn: 3, tokensOut: 4, costUsd: 0.5, requestBytes: 6, responseBytes: 7, path: [{ policy: 'x', decision: 'allow', ms: 1 }] }));
    const values = rowValues(row, contentHalves(row));
    expect(values).toHaveLength(FIELDS.length + 2);
    FIELDS.forEach(([name], i) => expect(values[i]).toBe(row[name]));
    expect(halvesFromValues(values)).toEqual(contentHalves(row));
  });

  it('round-trips a row and the text its hash covers, through a structured clone as postMessage makes', () => {
    const row = toRow(sampleEvent(2, { traceId: null, details: null, reason: 'quote " and \\ and \u2028' }));
    const sent = structuredClone(rowValues(row, contentHalves(row)));
    const back = rowFromValues(sent);
    expect(back).toEqual(row);
    expect(contentString(41, back, halvesFromValues(sent)!)).toBe(contentString(41, row));
    expect(hashRow('ab'.repeat(32), 41, back, halvesFromValues(sent)!)).toBe(hashRow('ab'.repeat(32), 41, row));
    expect(halvesFromValues(sent.slice(0, FIELDS.length))).toBeNull(); // none sent: the writer makes them
  });
});

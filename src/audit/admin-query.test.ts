import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { openAuditReadOnly, queryFromHttp } from './admin-query.js';
import { appendDirect, openAuditDb, type AuditDb } from './direct.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
let reader: AuditDb;
beforeEach(() => {
  t = tempAuditDir();
  const db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 8 }, (_, i) => sampleEvent(i + 1)));
  db.close();
  reader = openAuditReadOnly(t.dbPath);
});
afterEach(() => {
  reader.close();
  t.cleanup();
});

describe('GET /admin/audit query parsing', () => {
  it('applies filters, cursor and limit from query-string values', () => {
    expect(queryFromHttp(reader, { agent: 'agent-b', afterSeq: '2', limit: '2' }).map((r) => r.seq)).toEqual([3, 5]);
    expect(queryFromHttp(reader, { traceId: 'trace-0', since: '1700000004000' }).map((r) => r.seq)).toEqual([6]);
    expect(queryFromHttp(reader, { until: new Date(1_700_000_003_000).toISOString() })).toHaveLength(2);
  });

  it('rejects malformed values with INVALID_PARAMS', () => {
    for (const q of [{ limit: 'lots' }, { since: 'someday' }, { limit: '100000' }, { agent: ['a', 'b'] }]) {
      expect(() => queryFromHttp(reader, q)).toThrow(GatewayError);
    }
  });

  it('the read-only connection cannot write', () => {
    expect(() => appendDirect(reader, [sampleEvent(9)])).toThrow(/readonly/i);
  });
});

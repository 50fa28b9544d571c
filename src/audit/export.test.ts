import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendDirect, csvHeader, csvLine, exportRows, jsonLine, openAuditDb, CSV_COLUMNS, type AuditDb } from './direct.js';
import { csvField } from './export.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';

// Minimal RFC 4180 reader: returns records (arrays of fields).
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let rec: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') rec.push(field), (field = '');
    else if (c === '\r' && text[i + 1] === '\n') {
      rec.push(field);
      records.push(rec);
      (rec = []), (field = ''), i++;
    } else field += c;
  }
  return records;
}

const NASTY = 'he said "hi", then\nforged,row\r\n9999,evil';

let t: ReturnType<typeof tempAuditDir>;
let db: AuditDb;
beforeEach(() => {
  t = tempAuditDir();
  db = openAuditDb(t.dbPath);
  appendDirect(db, [sampleEvent(1), sampleEvent(2, { reason: NASTY, target: '=cmd|x', details: { note: NASTY } }), sampleEvent(3)]);
});
afterEach(() => {
  db.close();
  t.cleanup();
});

describe('export', () => {
  it('CSV quotes fields with ", comma, CR and LF so records equal rows + header', () => {
    const text = csvHeader() + [...exportRows(db)].map(csvLine).join('');
    const parsed = parseCsv(text);
    expect(parsed).toHaveLength(3 + 1);
    expect(parsed[0]).toEqual(CSV_COLUMNS);
    for (const r of parsed) expect(r).toHaveLength(CSV_COLUMNS.length);
    const reason = parsed[2]?.[CSV_COLUMNS.indexOf('reason')];
    expect(reason).toBe(NASTY);
    expect(JSON.parse(parsed[2]?.[CSV_COLUMNS.indexOf('details')] ?? '')).toEqual({ note: NASTY });
  });

  it('CSV field escaping doubles quotes and leaves plain values bare', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('a\rb')).toBe('"a\rb"');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });

  it('JSONL has exactly one line per record and round-trips the nasty field', () => {
    const text = [...exportRows(db)].map(jsonLine).join('');
    const lines = text.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(3);
    expect(text.split(/\r|\n/).filter((l) => l !== '')).toHaveLength(3);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({ seq: 2, reason: NASTY, details: { note: NASTY } });
  });

  it('exports from a cursor', () => {
    expect([...exportRows(db, 2)].map((r) => r.seq)).toEqual([3]);
  });
});

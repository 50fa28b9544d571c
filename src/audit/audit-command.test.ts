import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditCommand } from '../cli/audit-command.js';
import { appendDirect, openAuditDb } from './direct.js';
import { createAuditSink } from './sink.js';
import { ed25519Pems, sampleEvent, tamper, tempAuditDir } from './test-fixtures.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

let t: ReturnType<typeof tempAuditDir>;
let out: Capture;
let err: Capture;
const run = (...argv: string[]) => auditCommand(argv, { dbPath: t.dbPath, out, err, durability: 'normal' });

beforeEach(() => {
  t = tempAuditDir();
  out = new Capture();
  err = new Capture();
  const db = openAuditDb(t.dbPath);
  appendDirect(db, Array.from({ length: 6 }, (_, i) => sampleEvent(i + 1)));
  db.close();
});
afterEach(() => t.cleanup());

describe('warden audit', () => {
  it('verify exits 0 on an intact chain and 1 naming the first broken record', async () => {
    expect(await run('verify')).toBe(0);
    expect(out.text).toMatch(/^ok: 6 record\(s\) verified/);
    const db = openAuditDb(t.dbPath);
    tamper(db, "UPDATE audit_events SET target = 'x' WHERE seq = 3");
    db.close();
    out.text = '';
    expect(await run('verify')).toBe(1);
    expect(out.text).toMatch(/BROKEN at seq 3: hash mismatch/);
  });

  it('checkpoint exports the latest checkpoint, and verify --checkpoint catches a truncated tail', async () => {
    const cpFile = join(t.dir, 'cp.json');
    const keys = ed25519Pems();
    writeFileSync(join(t.dir, 'key.pem'), keys.privatePem);
    writeFileSync(join(t.dir, 'pub.pem'), keys.publicPem);
    expect(await run('checkpoint', '--out', cpFile, '--signing-key', join(t.dir, 'key.pem'))).toBe(0);
    expect(JSON.parse(readFileSync(cpFile, 'utf8'))).toMatchObject({ format: 'warden-audit-checkpoint/v1', seq: 6 });
    const code = await run('verify', '--checkpoint', cpFile, '--public-key', join(t.dir, 'pub.pem'));
    expect(err.text).not.toContain('warden audit:');
    expect(code).toBe(0);
    const db = openAuditDb(t.dbPath);
    tamper(db, 'DELETE FROM audit_events WHERE seq > 4');
    db.prepare('DELETE FROM audit_checkpoints').run();
    db.close();
    out.text = '';
    expect(await run('verify', '--checkpoint', cpFile)).toBe(1);
    expect(out.text).toMatch(/BROKEN at seq 5: truncated tail/);
  });

  it('query filters and prints a table or JSON lines, neutralizing control characters', async () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, [sampleEvent(7, { agentId: 'evil', reason: 'x\u001b[2Jy', decision: 'deny' })]);
    db.close();
    expect(await run('query', '--agent', 'evil')).toBe(0);
    expect(out.text).toContain('x?[2Jy');
    expect(out.text).not.toContain('\u001b');
    out.text = '';
    expect(await run('query', '--decision', 'allow', '--agent', 'agent-a', '--json')).toBe(0);
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((r) => r.seq)).toEqual([2, 4, 6]);
    out.text = '';
    expect(await run('query', '--since', new Date(1_700_000_003_000).toISOString(), '--until', '1700000005000', '--json')).toBe(0);
    expect(out.text.trim().split('\n')).toHaveLength(2);
  });

  it('export writes CSV and JSONL to a file', async () => {
    const csv = join(t.dir, 'a.csv');
    expect(await run('export', '--format', 'csv', '--out', csv)).toBe(0);
    expect(readFileSync(csv, 'utf8').split('\r\n').filter(Boolean)).toHaveLength(7);
    expect(await run('export', '--format', 'jsonl')).toBe(0);
    expect(out.text.trim().split('\n')).toHaveLength(6);
  });

  it('prune is audited and leaves a chain that verifies', async () => {
    expect(await run('prune', '--before', '1700000003500')).toBe(0);
    expect(out.text).toMatch(/pruned 3 record\(s\) through seq 3; recorded as seq 7/);
    expect(await run('verify')).toBe(0);
  });

  it('works while a gateway writer is running on the same file', async () => {
    const sink = await createAuditSink({ dbPath: t.dbPath });
    const pending = Array.from({ length: 50 }, (_, i) => sink.append(sampleEvent(100 + i)));
    expect(await run('checkpoint')).toBe(0);
    expect(await run('prune', '--before', '1700000002500')).toBe(0);
    await Promise.all(pending);
    expect(await run('verify')).toBe(0);
    await sink.close();
    expect(await run('verify')).toBe(0);
  });

  it('returns 2 on usage errors and 1 when there is no database', async () => {
    expect(await run('frobnicate')).toBe(2);
    expect(await run('query', '--since', 'yesterday-ish')).toBe(2);
    expect(await run('export', '--format', 'xml')).toBe(2);
    expect(await run('prune')).toBe(2);
    expect(await auditCommand(['verify'], { dbPath: join(t.dir, 'none.db'), out, err, durability: 'normal' })).toBe(1);
    expect(err.text).toContain('no audit database');
  });
});

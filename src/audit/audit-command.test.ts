import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditCommand } from '../cli/audit-command.js';
import { appendDirect, listCheckpoints, openAuditDb, queryAudit } from './direct.js';
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

  it('query filters and prints a table (newest first) or JSON lines, neutralizing control characters', async () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, [sampleEvent(7, { agentId: 'evil', reason: 'x\u001b[2Jy', decision: 'deny' })]);
    db.close();
    expect(await run('query', '--agent', 'evil')).toBe(0);
    expect(out.text).toContain('x?[2Jy');
    expect(out.text).not.toContain('\u001b');
    out.text = '';
    expect(await run('query', '--decision', 'allow', '--agent', 'agent-a', '--json')).toBe(0);
    const lines = out.text.trim().split('\n').map((l) => JSON.parse(l) as { seq: number });
    expect(lines.map((r) => r.seq)).toEqual([6, 4, 2]);
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

  it('query and export show a value turned into a BLOB marked as one, without crashing, and verify names its seq', async () => {
    const db = openAuditDb(t.dbPath);
    tamper(db, "UPDATE audit_events SET time = CAST(CAST(time AS TEXT) AS BLOB), agent_id = CAST(agent_id AS BLOB) WHERE seq = 3");
    db.close();
    const time = `[blob x'${Buffer.from(String(1_700_000_003_000)).toString('hex')}']`;
    const agent = `[blob x'${Buffer.from('agent-b').toString('hex')}']`;
    expect(await run('query')).toBe(0);
    expect(out.text.split('\n').find((l) => l.startsWith('3 '))).toContain(time);
    out.text = '';
    expect(await run('export', '--format', 'jsonl')).toBe(0);
    const three = JSON.parse(out.text.trim().split('\n')[2]!) as Record<string, unknown>;
    expect(three).toMatchObject({ seq: 3, time, agentId: agent });
    out.text = '';
    expect(await run('export', '--format', 'csv')).toBe(0);
    expect(out.text).toContain(`3,${time},req-3`);
    out.text = '';
    expect(await run('verify')).toBe(1);
    expect(out.text).toMatch(/^BROKEN at seq 3: storage type changed: column time holds a blob value, not a number/);
  });

  it('query returns the newest records first, and pages forward oldest-first with --after-seq', async () => {
    const seqs = () => out.text.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq);
    expect(await run('query', '--limit', '2', '--json')).toBe(0);
    expect(seqs()).toEqual([6, 5]);
    out.text = '';
    expect(await run('query', '--after-seq', '0', '--limit', '2', '--json')).toBe(0);
    expect(seqs()).toEqual([1, 2]);
    out.text = '';
    expect(await run('query', '--before-seq', '5', '--limit', '2', '--json')).toBe(0);
    expect(seqs()).toEqual([4, 3]);
    out.text = '';
    expect(await run('query', '--limit', '5')).toBe(0);
    expect(out.text.split('\n')[1]).toMatch(/^6 /); // the table too
  });

  it('query rejects an unknown --channel or --decision as a usage error', async () => {
    expect(await run('query', '--channel', 'smtp')).toBe(2);
    expect(err.text).toMatch(/--channel must be one of mcp, openapi/);
    expect(await run('query', '--decision', 'permit')).toBe(2);
    expect(err.text).toMatch(/--decision must be one of allow, deny, error/);
  });

  it('query refuses a --limit of 0 or above 10000 as a usage error naming the range, instead of reading 1 or capping', async () => {
    for (const limit of ['0', '10001']) {
      err.text = '';
      expect(await run('query', '--limit', limit, '--json'), limit).toBe(2);
      expect(err.text).toContain(`warden audit: --limit must be 1..10000 (got ${limit})`);
    }
    expect(out.text).toBe('');
    expect(await run('query', '--limit', '10000', '--json')).toBe(0);
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
    expect(await run('query', '--until', '1 2')).toBe(2); // Date.parse: 2001-01-02
    expect(await run('prune', '--before', '2030-02-31', '--force')).toBe(2);
    expect(err.text).toContain('--before: not a time (expected ISO 8601 with Z');
    expect(await run('export', '--format', 'xml')).toBe(2);
    expect(await run('prune')).toBe(2);
    expect(await auditCommand(['verify'], { dbPath: join(t.dir, 'none.db'), out, err, durability: 'normal' })).toBe(1);
    expect(err.text).toContain('no audit database');
  });
});

describe('warden audit export --out', () => {
  it('fails at once with one clear line and exit 1 when the directory does not exist', async () => {
    const target = join(t.dir, 'no-such-dir', 'x.jsonl');
    expect(await run('export', '--out', target)).toBe(1);
    expect(err.text).toBe(`warden audit: cannot write ${target}: no such file or directory (does its directory exist?)\n`);
    expect(existsSync(target)).toBe(false);
  });

  it('fails at once with exit 1 when the path is a directory, even with many records to write', async () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, Array.from({ length: 1200 }, (_, i) => sampleEvent(100 + i)));
    db.close();
    const dir = join(t.dir, 'a-directory');
    mkdirSync(dir);
    expect(await run('export', '--out', dir)).toBe(1);
    expect(err.text).toBe(`warden audit: cannot write ${dir}: it is a directory\n`);
  });

  it('creates the export file with mode 0600', async () => {
    const file = join(t.dir, 'x.jsonl');
    expect(await run('export', '--out', file)).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8').trim().split('\n')).toHaveLength(6);
  });

  it('rejects (exit 1) instead of hanging when the output stream fails mid-export', async () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, Array.from({ length: 1200 }, (_, i) => sampleEvent(100 + i)));
    db.close();
    let writes = 0;
    const broken = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, cb) {
        setImmediate(() => (++writes > 50 ? cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' })) : cb()));
      },
    });
    const code = await auditCommand(['export'], { dbPath: t.dbPath, out: broken, err, durability: 'normal' });
    expect(code).toBe(1);
    expect(err.text).toBe('warden audit: export to standard output failed: the reading end was closed\n');
  });
});

describe('warden audit checkpoint and the head marker', () => {
  it('records an audit.discontinuity before rewriting a head marker the database no longer reaches', async () => {
    expect(await run('checkpoint')).toBe(0); // marker at seq 6
    for (const f of [t.dbPath, t.dbPath + '-wal', t.dbPath + '-shm']) rmSync(f, { force: true });
    const db = openAuditDb(t.dbPath);
    appendDirect(db, [sampleEvent(1)]);
    db.close();
    expect(await run('checkpoint')).toBe(0);
    expect(err.text).toMatch(/warning: database does not reach the head marker \(seq 6\); this is a new segment; recorded as seq 2/);
    const check = openAuditDb(t.dbPath, { readonly: true });
    expect(queryAudit(check, { channel: 'system' })[0]).toMatchObject({ seq: 2, action: 'audit.discontinuity', details: { markerSeq: 6, headSeq: 1, via: 'cli' } });
    check.close();
  });
});

describe('warden audit checkpoint --signing-key', () => {
  it('writes a fresh signed checkpoint when the latest one is unsigned, even with no new records', async () => {
    const keys = ed25519Pems();
    writeFileSync(join(t.dir, 'key.pem'), keys.privatePem);
    writeFileSync(join(t.dir, 'pub.pem'), keys.publicPem);
    expect(await run('checkpoint')).toBe(0);
    expect(JSON.parse(out.text)).toMatchObject({ seq: 6, signature: null });
    out.text = '';
    expect(await run('checkpoint', '--signing-key', join(t.dir, 'key.pem'))).toBe(0);
    expect(JSON.parse(out.text)).toMatchObject({ seq: 6, signature: expect.any(String), keyId: expect.stringMatching(/^ed25519:/) });
    expect(await run('checkpoint', '--signing-key', join(t.dir, 'key.pem'))).toBe(0); // already signed: nothing new
    const db = openAuditDb(t.dbPath, { readonly: true });
    expect(listCheckpoints(db).map((c) => c.signature !== null)).toEqual([false, true]);
    db.close();
    expect(await run('verify', '--public-key', join(t.dir, 'pub.pem'))).toBe(0);
  });
});

describe('warden audit prune safeguards', () => {
  const keys = ed25519Pems();
  const files = () => {
    writeFileSync(join(t.dir, 'key.pem'), keys.privatePem);
    writeFileSync(join(t.dir, 'pub.pem'), keys.publicPem);
    return { key: join(t.dir, 'key.pem'), pub: join(t.dir, 'pub.pem'), cp: join(t.dir, 'cp.json') };
  };

  it('refuses a --before inside the 30-day retention floor unless --force is given', async () => {
    const recent = new Date(Date.now() - 86_400_000).toISOString();
    expect(await run('prune', '--before', recent)).toBe(2);
    expect(err.text).toMatch(/inside the 30-day retention floor .* add --force/);
    expect(await run('prune', '--before', new Date(Date.now() + 60_000).toISOString(), '--force')).toBe(2); // never the future
    expect(await run('prune', '--before', recent, '--force')).toBe(0);
  });

  it('a wipe after an exported checkpoint is reported UNVERIFIABLE, not "matches checkpoint"', async () => {
    const f = files();
    expect(await run('checkpoint', '--out', f.cp)).toBe(0);
    expect(await run('prune', '--before', String(Date.now()), '--force')).toBe(0);
    expect(err.text).toMatch(/warning: no signing key: this prune is not signed/);
    out.text = '';
    expect(await run('verify', '--checkpoint', f.cp)).toBe(1);
    expect(out.text).toMatch(/^UNVERIFIABLE: the checkpoint's seq 6 lies at or below the prune anchor \(seq 6\)/);
    expect(out.text).not.toContain('matches checkpoint');
  });

  it('an unsigned prune fails verify --public-key', async () => {
    const f = files();
    expect(await run('checkpoint', '--signing-key', f.key)).toBe(0);
    expect(await run('prune', '--before', '1700000003500')).toBe(0);
    out.text = '';
    expect(await run('verify', '--public-key', f.pub)).toBe(1);
    expect(out.text).toMatch(/BROKEN at seq 4: prune anchor at seq 3 is not attested by a valid signature/);
  });

  it('a prune signed with the checkpoint key verifies, and covers an exported checkpoint it removed', async () => {
    const f = files();
    expect(await run('checkpoint', '--out', f.cp, '--signing-key', f.key)).toBe(0);
    expect(await run('prune', '--before', String(Date.now()), '--force', '--signing-key', f.key)).toBe(0);
    expect(out.text).toMatch(/pruned 6 record\(s\) through seq 6; recorded as seq 7, signed by ed25519:/);
    expect(await run('checkpoint', '--signing-key', f.key)).toBe(0);
    out.text = '';
    expect(await run('verify', '--checkpoint', f.cp, '--public-key', f.pub)).toBe(0);
    expect(out.text).toMatch(/checkpoint at seq 6 was pruned, covered by the signed prune through seq 6/);
    const db = openAuditDb(t.dbPath, { readonly: true });
    expect(queryAudit(db, { channel: 'system' })[0]?.details).toMatchObject({ via: 'cli', forced: true, attestation: { keyId: expect.any(String) } });
    db.close();
  });
});

import { generateKeyPairSync } from 'node:crypto';
import { copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { fromDbRow, GENESIS_HASH, hashRow } from '../../src/audit/chain.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createKey, makeWorkspace, startGateway, type Workspace } from '../helpers/gateway-process.js';

/**
 * Drives `warden audit verify` against copies of a real gateway's audit database, each
 * tampered with in one way an attacker with write access to the file might try.
 */
describe('warden audit verify detects tampering (real CLI on a real gateway trail)', () => {
  let ws: Workspace;
  let checkpoint: string;
  let publicKey: string;
  let pristine: string;

  beforeAll(async () => {
    const { privateKey, publicKey: pub } = generateKeyPairSync('ed25519');
    ws = makeWorkspace({ config: 'audit: { checkpoint: { signingKey: { file: ./signing.pem }, everyRecords: 10 } }\n' });
    writeFileSync(join(ws.dir, 'signing.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
    publicKey = join(ws.dir, 'public.pem');
    writeFileSync(publicKey, pub.export({ type: 'spki', format: 'pem' }));
    const gw = await startGateway(ws);
    const { key } = await createKey(ws, 'support-triage');
    for (let i = 0; i < 30; i++) await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect((await gw.stop()).code).toBe(0);
    checkpoint = join(ws.dir, 'checkpoint.json');
    const cp = await cli(ws, ['audit', 'checkpoint', '--out', checkpoint]);
    expect(cp.code, cp.stderr).toBe(0);
    pristine = join(ws.dir, 'pristine.db');
    copyFileSync(join(ws.dataDir, 'audit.db'), pristine);
  });
  afterAll(() => ws?.cleanup());

  /** Restores the pristine DB, applies `tamper`, runs verify against the exported checkpoint. */
  async function verifyAfter(tamper: (db: Database.Database) => void, extra: string[] = []) {
    copyFileSync(pristine, join(ws.dataDir, 'audit.db'));
    const db = new Database(join(ws.dataDir, 'audit.db'));
    // The append-only triggers are a speed bump, not a defence against someone with the file.
    for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as Array<{ name: string }>) {
      db.exec(`DROP TRIGGER "${name}"`);
    }
    tamper(db);
    db.close();
    return cli(ws, ['audit', 'verify', '--checkpoint', checkpoint, ...extra]);
  }
  const maxSeq = (db: Database.Database) => (db.prepare('SELECT max(seq) AS m FROM audit_events').get() as { m: number }).m;

  it('passes on the untouched trail, with the signed checkpoints and the exported checkpoint', async () => {
    const r = await verifyAfter(() => undefined, ['--public-key', publicKey]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });

  it('names the edited record when one field is changed', async () => {
    const r = await verifyAfter((db) => db.prepare("UPDATE audit_events SET agent_id = 'someone-else' WHERE seq = 7").run());
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/\b7\b/);
  });

  it('names the gap when a middle row is deleted', async () => {
    const r = await verifyAfter((db) => db.prepare('DELETE FROM audit_events WHERE seq = 12').run());
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/\b12\b/);
  });

  it('names a record hidden from filtered queries (its query lookup entry deleted)', async () => {
    const r = await verifyAfter((db) => expect(db.prepare('DELETE FROM audit_lookup WHERE seq = 12').run().changes).toBe(1));
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/seq 12\b.*no entry in the query lookup/);
    expect(r.stdout).toMatch(/hash chain itself is intact/);
    // Rebuilt from the records, the lookup matches again, and the rebuild is in the trail.
    const re = await cli(ws, ['audit', 'reindex']);
    expect(re.code, re.stderr).toBe(0);
    expect(re.stdout).toMatch(/query lookup rebuilt: \d+ record\(s\) indexed, \d+ old entries replaced; recorded as seq \d+/);
    const again = await cli(ws, ['audit', 'verify', '--checkpoint', checkpoint]);
    expect(again.code, again.stdout).toBe(0);
    const q = await cli(ws, ['audit', 'query', '--channel', 'system', '--json', '--limit', '1']);
    expect(JSON.parse(q.stdout.trim().split('\n')[0]!)).toMatchObject({ action: 'audit.reindexed', details: { via: 'cli' } });
  });

  it('names a record whose text columns were turned into BLOBs of the same bytes (hidden from filtered queries), though its hash, the signatures and the exported checkpoint still match', async () => {
    const orig = new Database(pristine, { readonly: true });
    const { agent_id: agent, channel } = orig.prepare('SELECT agent_id, channel FROM audit_events WHERE seq = 14').get() as { agent_id: string; channel: string };
    orig.close();
    expect(agent).toBeTruthy();
    const r = await verifyAfter((db) => {
      db.prepare('UPDATE audit_events SET agent_id = CAST(agent_id AS BLOB), channel = CAST(channel AS BLOB), decision = CAST(decision AS BLOB) WHERE seq = 14').run();
      db.prepare('UPDATE audit_lookup SET agent_id = CAST(agent_id AS BLOB) WHERE seq = 14').run();
    }, ['--public-key', publicKey]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN at seq 14: storage type changed: column agent_id holds a blob value, not text/);
    // What verify warns of: the record is gone from a filtered query.
    const q = await cli(ws, ['audit', 'query', '--agent', agent, '--channel', channel, '--json', '--limit', '100']);
    expect(q.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { seq: number }).seq)).not.toContain(14);
  });

  it('names a record whose time was turned into a BLOB of its digits, and the query table still prints it', async () => {
    const r = await verifyAfter((db) => {
      db.prepare('UPDATE audit_events SET time = CAST(CAST(time AS TEXT) AS BLOB) WHERE seq = 14').run();
      db.prepare('UPDATE audit_lookup SET time = CAST(CAST(time AS TEXT) AS BLOB) WHERE seq = 14').run();
    }, ['--public-key', publicKey]);
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toMatch(/^BROKEN at seq 14: storage type changed: column time holds a blob value, not a number/);
    const q = await cli(ws, ['audit', 'query', '--after-seq', '13', '--limit', '1']);
    expect(q.code, q.stderr).toBe(0);
    expect(q.stdout).toMatch(/^14 +\[blob x'[0-9a-f]+'\]/m);
  });

  it('detects a reordered pair of records', async () => {
    const r = await verifyAfter((db) => {
      db.transaction(() => {
        db.prepare('UPDATE audit_events SET seq = -1 WHERE seq = 15').run();
        db.prepare('UPDATE audit_events SET seq = 15 WHERE seq = 16').run();
        db.prepare('UPDATE audit_events SET seq = 16 WHERE seq = -1').run();
      })();
    });
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/\b15\b/);
  });

  it('detects a truncated tail against the exported checkpoint', async () => {
    const truncate = (db: Database.Database) => {
      const keep = maxSeq(db) - 3;
      db.prepare('DELETE FROM audit_events WHERE seq > ?').run(keep);
      // Covering tracks: stored checkpoints and query lookup entries past the new end go too
      // (left in place, the lookup entries alone would give the truncation away).
      db.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(keep);
      db.prepare('DELETE FROM audit_lookup WHERE seq > ?').run(keep);
    };
    const r = await verifyAfter(truncate);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/checkpoint/i);
    // Without the exported checkpoint the shorter chain is internally consistent: that is why checkpoints are exported.
    const alone = await cli(ws, ['audit', 'verify']);
    expect(alone.code, alone.stdout).toBe(0);
  });

  it('detects a chain rewritten from genesis with recomputed hashes, via the exported checkpoint', async () => {
    const rewrite = (db: Database.Database) => {
      const rows = (db.prepare('SELECT * FROM audit_events ORDER BY seq').all() as Array<Record<string, unknown>>).map(fromDbRow);
      let prev = GENESIS_HASH;
      const update = db.prepare('UPDATE audit_events SET reason = ?, prev_hash = ?, hash = ? WHERE seq = ?');
      db.transaction(() => {
        for (const row of rows) {
          if (row.seq === 5) row.reason = 'nothing to see';
          const hash = hashRow(prev, row.seq, row);
          update.run(row.reason, prev, hash, row.seq);
          prev = hash;
        }
        // A careful attacker also rewrites the stored checkpoints to match.
        db.prepare('DELETE FROM audit_checkpoints').run();
      })();
    };
    const internal = await verifyAfter(rewrite);
    expect(internal.code).toBe(1);
    expect(internal.stdout + internal.stderr).toMatch(/checkpoint/i);
  });
});

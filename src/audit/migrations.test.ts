import { existsSync, statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, schemaVersion } from './migrations.js';
import { appendDirect, openAuditDb, pruneBefore, verifyChain } from './direct.js';
import { WAL_AUTOCHECKPOINT_PAGES } from './db.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
beforeEach(() => (t = tempAuditDir()));
afterEach(() => t.cleanup());

describe('migrations', () => {
  it('are idempotent: reopening and re-running applies nothing twice', () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, [sampleEvent(1)]);
    expect(migrate(db)).toEqual([]);
    db.close();
    const again = openAuditDb(t.dbPath);
    expect(migrate(again)).toEqual([]);
    expect(schemaVersion(again)).toBe(MIGRATIONS.length);
    expect(again.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(again.prepare('SELECT COUNT(*) FROM audit_events').pluck().get()).toBe(1);
    again.close();
  });

  it('run each step in one transaction: a failing step leaves nothing behind', () => {
    const db = new Database(t.dbPath);
    const broken = [
      ...MIGRATIONS,
      { version: 99, name: 'broken', up: (d: Database.Database) => d.exec('CREATE TABLE half_done (x); SELECT * FROM no_such_table') },
    ];
    expect(() => migrate(db, broken)).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half_done'").pluck().get()).toBe(0);
    db.close();
  });

  it('create the tables, indexes and WAL settings the trail relies on', () => {
    const db = openAuditDb(t.dbPath, { durability: 'full', busyTimeoutMs: 1234 });
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type IN ('table', 'index')").pluck().all();
    expect(names).toEqual(expect.arrayContaining([
      'audit_events', 'audit_checkpoints', 'audit_anchor', 'schema_migrations',
      'audit_lookup', 'audit_lookup_agent', 'audit_lookup_target', 'audit_lookup_time', 'audit_lookup_trace',
    ]));
    // The record table itself has no secondary index: each would be written inside every commit (lookup.ts).
    expect(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_events'").pluck().all()).toEqual([]);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(db.pragma('busy_timeout', { simple: true })).toBe(1234);
    expect(db.pragma('journal_size_limit', { simple: true })).toBeGreaterThan(0);
    db.close();
    const normal = openAuditDb(t.dbPath);
    expect(normal.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    normal.close();
  });

  it('leave the WAL un-checkpointed for thousands of pages, so single-record commits rarely pay for a checkpoint', () => {
    const db = openAuditDb(t.dbPath);
    for (let i = 1; i <= 2000; i++) appendDirect(db, [sampleEvent(i)]); // one commit each, as at one request at a time
    // A PASSIVE checkpoint reports the WAL's frame count: SQLite's default (1,000 pages) would
    // have checkpointed and restarted the WAL by now.
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    expect(row!.log).toBeGreaterThan(1000);
    expect(row!.log).toBeLessThan(WAL_AUTOCHECKPOINT_PAGES);
    db.close();
  });

  it('leave records that are only in the WAL visible to readers, verify and prune of other connections, and the WAL truncated when the writer closes', () => {
    const writer = openAuditDb(t.dbPath);
    for (let i = 1; i <= 300; i++) appendDirect(writer, [sampleEvent(i)]);
    // A CLI reading while the gateway writes: a readonly connection sees every record, though none is checkpointed yet.
    const reader = openAuditDb(t.dbPath, { readonly: true });
    expect(reader.prepare('SELECT COUNT(*) FROM audit_events').pluck().get()).toBe(300);
    expect(verifyChain(reader)).toMatchObject({ ok: true, checked: 300 });
    // `warden audit prune` from its own connection, then the gateway appends on.
    const cli = openAuditDb(t.dbPath);
    expect(pruneBefore(cli, 1_700_000_000_000 + 100_500, { minRetentionMs: 0 }).deleted).toBe(100);
    cli.close();
    appendDirect(writer, [sampleEvent(301)]);
    expect(verifyChain(reader)).toMatchObject({ ok: true, checked: 202, anchor: { seq: 100 } });
    reader.close();
    const [before] = writer.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>;
    expect(before!.log).toBeGreaterThan(0);
    writer.close();
    // The last connection to close checkpoints and removes the WAL: a copy of the database file alone is then whole.
    expect(existsSync(`${t.dbPath}-wal`) ? statSync(`${t.dbPath}-wal`).size : 0).toBe(0);
    const again = openAuditDb(t.dbPath, { readonly: true });
    expect(verifyChain(again)).toMatchObject({ ok: true, checked: 202 });
    again.close();
  });

  it('make audit_events append-only against accidental UPDATE and DELETE', () => {
    const db = openAuditDb(t.dbPath);
    appendDirect(db, [sampleEvent(1)]);
    expect(() => db.prepare("UPDATE audit_events SET reason = 'x'").run()).toThrow(/append-only/);
    expect(() => db.prepare('DELETE FROM audit_events').run()).toThrow(/append-only/);
    db.close();
  });
});

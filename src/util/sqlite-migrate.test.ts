import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { migrate, schemaVersion, sqlMigration, type SqliteMigration } from './sqlite-migrate.js';

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'warden-migrate-'));
  path = join(dir, 'x.db');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const STEPS: SqliteMigration[] = [
  sqlMigration(1, 'things', 'CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)'),
  { version: 2, name: 'seed', up: (db) => db.prepare("INSERT INTO things (name) VALUES ('first')").run() },
];

describe('migrate (shared SQLite migration runner)', () => {
  it('applies pending steps in version order once, and reports only what this call applied', () => {
    const db = new Database(path);
    expect(schemaVersion(db)).toBe(0);
    expect(migrate(db, [...STEPS].reverse())).toEqual([1, 2]);
    expect(migrate(db, STEPS)).toEqual([]);
    expect(migrate(db, [...STEPS, sqlMigration(3, 'more', 'CREATE TABLE more (x)')])).toEqual([3]);
    expect(schemaVersion(db)).toBe(3);
    expect(db.prepare('SELECT COUNT(*) FROM things').pluck().get()).toBe(1);
    expect(db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all()).toEqual([
      { version: 1, name: 'things' },
      { version: 2, name: 'seed' },
      { version: 3, name: 'more' },
    ]);
    db.close();
  });

  it('rolls a failing step back completely and keeps the earlier steps', () => {
    const db = new Database(path);
    const broken = [...STEPS, sqlMigration(3, 'broken', 'CREATE TABLE half (x); SELECT * FROM no_such_table')];
    expect(() => migrate(db, broken)).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 'half'").pluck().get()).toBe(0);
    db.close();
  });

  it('never applies a step twice when two connections migrate the same file', () => {
    const a = new Database(path);
    const b = new Database(path);
    let runs = 0;
    const counting: SqliteMigration[] = [
      { version: 1, name: 'count', up: (db) => (runs++, db.exec('CREATE TABLE once (x)')) },
    ];
    // b holds the write lock while a starts: a must wait, then see the step as applied.
    b.exec('BEGIN IMMEDIATE');
    b.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    counting[0]!.up(b);
    b.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (1, 'count', 0)").run();
    a.pragma('busy_timeout = 0');
    expect(() => migrate(a, counting)).toThrow(/locked|busy/i);
    b.exec('COMMIT');
    expect(migrate(a, counting)).toEqual([]);
    expect(runs).toBe(1);
    a.close();
    b.close();
  });

  it('refuses duplicate or non-positive versions before touching the database', () => {
    const db = new Database(path);
    expect(() => migrate(db, [...STEPS, sqlMigration(2, 'again', 'SELECT 1')])).toThrow(/share version 2/);
    expect(() => migrate(db, [sqlMigration(0, 'zero', 'SELECT 1')])).toThrow(/positive integer/);
    expect(schemaVersion(db)).toBe(0);
    db.close();
  });
});

import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/load.js';
import { appendDirect, openAuditDb } from './direct.js';
import { openAuditSink } from './open-sink.js';
import { sampleEvent, tempAuditDir } from './test-fixtures.js';

let t: ReturnType<typeof tempAuditDir>;
beforeEach(() => (t = tempAuditDir()));
afterEach(() => t.cleanup());

const mode = (path: string) => statSync(path).mode & 0o777;

describe('audit file permissions', () => {
  it('creates audit.db 0600, and its -wal and -shm files inherit 0600 (even under a permissive umask)', () => {
    let old: number | null = null;
    try {
      old = process.umask(0o000); // not allowed in worker-thread test pools: then the ambient umask applies
    } catch {
      old = null;
    }
    try {
      const db = openAuditDb(t.dbPath);
      appendDirect(db, [sampleEvent(1)]);
      expect(mode(t.dbPath)).toBe(0o600);
      expect(mode(t.dbPath + '-wal')).toBe(0o600);
      expect(mode(t.dbPath + '-shm')).toBe(0o600);
      db.close();
    } finally {
      if (old !== null) process.umask(old);
    }
  });

  it('the gateway sink creates its dataDir 0700 and the database 0600 inside it', async () => {
    const dataDir = join(t.dir, 'data', 'nested');
    const config = await loadConfig(undefined, { dataDir }, t.dir);
    const sink = await openAuditSink(config, pino({ level: 'silent' }));
    try {
      await sink.append(sampleEvent(1));
      expect(mode(dataDir)).toBe(0o700);
      expect(mode(join(dataDir, 'audit.db'))).toBe(0o600);
    } finally {
      await sink.close();
    }
  });

  it('warns when an existing dataDir is open to other users', async () => {
    const dataDir = join(t.dir, 'shared');
    mkdirSync(dataDir, { mode: 0o755 });
    const config = await loadConfig(undefined, { dataDir }, t.dir);
    const warnings: string[] = [];
    const log = pino({ level: 'warn' }, { write: (line: string) => void warnings.push(line) });
    const sink = await openAuditSink(config, log);
    await sink.close();
    expect(warnings.join('')).toContain('dataDir is accessible to other users');
  });
});

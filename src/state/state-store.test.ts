import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from './state-store.js';
import { withBusyRetry } from './busy-retry.js';

describe('state store', () => {
  let dir: string;
  let store: StateStore;
  let other: Database.Database;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-busy-'));
    store = StateStore.open(join(dir, 'state.db'), { busyTimeoutMs: 0 });
    other = new Database(join(dir, 'state.db'));
  });
  afterEach(() => {
    other.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('retries without blocking the event loop and succeeds once the lock is released', async () => {
    other.exec('BEGIN IMMEDIATE');
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 5);
    setTimeout(() => other.exec('COMMIT'), 150);
    const done = await withBusyRetry(() => store.suspend('a', null, 'test', 1));
    clearInterval(ticker);
    expect(done).toBe(true);
    // The loop kept turning while we waited for the lock.
    expect(ticks).toBeGreaterThan(5);
  });

  it('gives up with a retryable OVERLOADED error after the deadline', async () => {
    other.exec('BEGIN IMMEDIATE');
    await expect(withBusyRetry(() => store.suspend('a', null, 'test', 1), 100)).rejects.toMatchObject({ code: 'OVERLOADED' });
    other.exec('ROLLBACK');
  });

  it('opens an already migrated database while another connection holds the write lock', () => {
    other.exec('BEGIN IMMEDIATE');
    try {
      const again = StateStore.open(join(dir, 'state.db'), { busyTimeoutMs: 0 });
      expect(again.listKeys()).toEqual([]);
      again.close();
    } finally {
      other.exec('ROLLBACK');
    }
  });

  it('revokes every key of an agent in one statement, including keys this process never loaded', () => {
    const cli = StateStore.open(join(dir, 'state.db'));
    for (const id of ['k1', 'k2']) cli.insertKey({ keyId: id, agentId: 'gone', digest: 'd', label: null, createdAt: 1, expiresAt: null });
    cli.insertKey({ keyId: 'k3', agentId: 'stays', digest: 'd', label: null, createdAt: 1, expiresAt: null });
    cli.close();
    expect(store.revokeAgentKeys('gone', 5)).toEqual(['k1', 'k2']);
    expect(store.listKeys().map((k) => [k.keyId, k.revokedAt])).toEqual([['k1', 5], ['k2', 5], ['k3', null]]);
    expect(store.revokeAgentKeys('gone', 6)).toEqual([]);
  });

  it('creates the state database readable by its owner only', () => {
    expect(statSync(join(dir, 'state.db')).mode & 0o777).toBe(0o600);
  });
});

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from './state-store.js';
import { withBusyRetry } from './busy-retry.js';

describe('state writes under a lock held by another process', () => {
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

  it('creates the state database readable by its owner only', () => {
    expect(statSync(join(dir, 'state.db')).mode & 0o777).toBe(0o600);
  });
});

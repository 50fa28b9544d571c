import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createStateRefresher } from './state-refresher.js';
import { StateStore } from './state-store.js';

describe('state refresher', () => {
  let dir: string;
  let gateway: StateStore;
  let cli: StateStore;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-refresh-'));
    gateway = StateStore.open(join(dir, 'state.db'));
    cli = StateStore.open(join(dir, 'state.db'));
  });
  afterEach(() => {
    cli.close();
    gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reloads only after another connection committed, once per commit seen', () => {
    let reloads = 0;
    const refresh = createStateRefresher(gateway, () => reloads++);
    expect(refresh()).toBe(false);
    cli.suspend('alpha', 'why', 'cli', 1);
    expect(refresh()).toBe(true);
    expect(refresh()).toBe(false);
    expect(reloads).toBe(1);
  });

  it('retries a reload that failed (state.db busy) instead of marking the change seen', () => {
    let fail = true;
    let reloads = 0;
    const refresh = createStateRefresher(gateway, () => {
      if (fail) throw new Error('SQLITE_BUSY');
      reloads++;
    });
    cli.suspend('alpha', 'why', 'cli', 1);
    expect(() => refresh()).toThrow('SQLITE_BUSY');
    fail = false;
    expect(refresh()).toBe(true);
    expect(reloads).toBe(1);
  });

  it('does not reload for the gateway’s own commits (their views change in memory at once)', () => {
    let reloads = 0;
    const refresh = createStateRefresher(gateway, () => reloads++);
    gateway.suspend('alpha', 'why', 'admin-api', 1);
    expect(refresh()).toBe(false);
    expect(reloads).toBe(0);
  });
});

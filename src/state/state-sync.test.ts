import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Catalog } from '../catalog/index.js';
import { KeyRegistry } from '../keys/key-registry.js';
import { LoopGuard } from '../loops/loop-guard.js';
import { StateStore } from './state-store.js';
import { StateSync } from './state-sync.js';
import { SuspensionIndex } from './suspension-index.js';

describe('state sync', () => {
  let dir: string;
  let gateway: StateStore;
  let cli: StateStore;
  let suspensions: SuspensionIndex;
  let loopGuard: LoopGuard;
  let sessions: Array<{ agentId: string; keyId: string; ended: boolean }>;
  let sync: StateSync;
  const catalog = { agents: new Map([['alpha', { status: 'active' }], ['beta', { status: 'active' }]]) } as unknown as Catalog;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-sync-'));
    // As the gateway opens it: a lock held elsewhere never blocks the event loop.
    gateway = StateStore.open(join(dir, 'state.db'), { busyTimeoutMs: 0 });
    cli = StateStore.open(join(dir, 'state.db'));
    for (const [keyId, agentId] of [['k-alpha', 'alpha'], ['k-beta', 'beta']] as const) {
      cli.insertKey({ keyId, agentId, digest: 'd', label: null, createdAt: 1, expiresAt: null });
    }
    suspensions = new SuspensionIndex(gateway);
    loopGuard = new LoopGuard();
    sessions = [
      { agentId: 'alpha', keyId: 'k-alpha', ended: false },
      { agentId: 'beta', keyId: 'k-beta', ended: false },
    ];
    const mcp = {
      refreshApprovals: () => undefined,
      revalidate: (stale: (agentId: string, keyId: string) => boolean) => {
        for (const s of sessions) s.ended ||= stale(s.agentId, s.keyId);
      },
    };
    sync = new StateSync({
      state: gateway,
      keys: new KeyRegistry(gateway),
      suspensions,
      loopGuard,
      catalog: () => catalog,
      mcp: () => mcp,
      budgets: () => null,
      log: pino({ level: 'silent' }),
      now: () => 1_000,
    });
  });
  afterEach(() => {
    sync.close();
    cli.close();
    gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("applies another process's revocation and suspension, ending only the sessions they invalidate", () => {
    expect(sync.apply()).toBe(false);
    expect(sessions.map((s) => s.ended)).toEqual([false, false]);
    cli.revokeKey('k-alpha', 500);
    expect(sync.apply()).toBe(true);
    expect(sessions.map((s) => s.ended)).toEqual([true, false]);
    cli.suspend('beta', 'why', 'cli', 600);
    expect(sync.apply()).toBe(true);
    expect(sessions.map((s) => s.ended)).toEqual([true, true]);
  });

  it('reports state.db unwritable only after three probes in a row find it locked, and writable again at once', () => {
    const lock = new Database(join(dir, 'state.db'));
    lock.exec('BEGIN EXCLUSIVE');
    sync.probe();
    sync.probe();
    expect(sync.writable).toBe(true);
    sync.probe();
    expect(sync.writable).toBe(false);
    lock.exec('COMMIT');
    lock.close();
    sync.probe();
    expect(sync.writable).toBe(true);
  });

  it('clears the loop history of a loop-suspended agent once another process resumes it, and no one else’s', () => {
    for (const id of ['alpha', 'beta']) loopGuard.startCoolDown(id, 'block', 10_000, 1_000);
    suspensions.suspend('alpha', 'looping', 'loop-detection', 1_000);
    sync.suspendedForLooping('alpha');
    sync.forgetResumed();
    expect(loopGuard.coolDown('alpha', 1_000)).toBeDefined();
    cli.resume('alpha');
    expect(sync.apply()).toBe(true);
    expect(loopGuard.coolDown('alpha', 1_000)).toBeUndefined();
    expect(loopGuard.coolDown('beta', 1_000)).toBeDefined();
  });
});

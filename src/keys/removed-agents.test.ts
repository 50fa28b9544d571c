import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { StateStore } from '../state/state-store.js';
import { RemovedAgentKeys } from './removed-agents.js';

describe('keys of agents removed from the catalog', () => {
  let dir: string;
  let state: StateStore;
  let clock: number;
  const present = new Set<string>();
  const revoked: string[] = [];
  const make = () =>
    new RemovedAgentKeys({
      state,
      graceMs: 1_000,
      inCatalog: (id) => present.has(id),
      revoke: async (id) => {
        revoked.push(id);
        return true;
      },
      now: () => clock,
      log: pino({ level: 'silent' }),
    });

  beforeEach(() => {
    vi.useFakeTimers();
    dir = mkdtempSync(join(tmpdir(), 'warden-removed-'));
    state = StateStore.open(join(dir, 'state.db'));
    clock = 1_000_000;
    present.clear();
    revoked.length = 0;
  });
  afterEach(() => {
    vi.useRealTimers();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('revokes after the grace period, unless the agent comes back, and forgets the removal either way', async () => {
    const keys = make();
    keys.removed('gone');
    keys.removed('back');
    expect(state.listRemovals().map((r) => r.agentId)).toEqual(['back', 'gone']);
    present.add('back');
    keys.returned('back');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(revoked).toEqual(['gone']);
    expect(state.listRemovals()).toEqual([]);
    keys.close();
  });

  it('carries a removal across a restart: the next start revokes when the period that began at the removal ends', async () => {
    const first = make();
    first.removed('gone');
    first.close();
    clock += 600;
    const second = make();
    second.resume();
    await vi.advanceTimersByTimeAsync(399);
    expect(revoked).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(revoked).toEqual(['gone']);
    second.close();
  });

  it('does not revoke an agent that came back while no gateway ran, and a new removal replaces a stale one', async () => {
    state.noteRemoval('back', clock - 10_000);
    present.add('back');
    const keys = make();
    keys.resume();
    expect(state.listRemovals()).toEqual([]);
    // A row whose clearing failed earlier: a new removal starts a new period, not an expired one.
    state.noteRemoval('again', clock - 10_000);
    keys.removed('again');
    expect(state.listRemovals()).toEqual([{ agentId: 'again', removedAt: clock }]);
    await vi.advanceTimersByTimeAsync(999);
    expect(revoked).toEqual([]);
    keys.close();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { minimalAgent, writeAgentFile } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { AdminToken } from '../admin/admin-token.js';
import { loadCatalog, type Catalog } from '../catalog/index.js';
import { createKeyRow, KeyRegistry } from '../keys/key-registry.js';
import { createStateRefresher } from '../state/state-refresher.js';
import { PolicyChain } from '../pipeline/chain.js';
import type { RequestContext } from '../pipeline/context.js';
import { StateStore } from '../state/state-store.js';
import { SuspensionIndex } from '../state/suspension-index.js';
import { createAuthenticatePolicy } from './authenticate.js';

describe('authenticate policy', () => {
  let dir: string;
  let state: StateStore;
  let keys: KeyRegistry;
  let suspensions: SuspensionIndex;
  let catalog: Catalog;
  let now = 1_700_000_000_000;
  const admin = new AdminToken('wdnadm_test-admin-token-0123456789', 'test');

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-auth-'));
    const catDir = join(dir, 'catalog');
    await import('node:fs/promises').then((fs) => fs.mkdir(catDir));
    await writeAgentFile(catDir, minimalAgent('alpha'));
    await writeAgentFile(catDir, minimalAgent('frozen', { status: 'suspended' }));
    const r = await loadCatalog(catDir);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    catalog = r.catalog;
    state = StateStore.open(join(dir, 'state.db'));
    keys = new KeyRegistry(state);
    suspensions = new SuspensionIndex(state);
  });
  afterEach(() => {
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const policy = () => createAuthenticatePolicy({ keys, suspensions, adminToken: admin, now: () => now });
  const ctx = (value: string | null, over: Partial<RequestContext> = {}) =>
    makeContext({ catalog, credential: value === null ? null : { scheme: 'bearer', value }, ...over });

  it('admits a valid key and sets the agent principal', async () => {
    const { key, row } = keys.create('alpha', { now });
    const d = await policy().request!(ctx(key));
    expect(d.kind).toBe('allow');
    if (d.kind === 'allow') expect(d.patch?.principal).toMatchObject({ kind: 'agent', agentId: 'alpha', keyId: row.keyId });
  });

  it.each([
    { name: 'no credential', setup: () => null },
    { name: 'garbage', setup: () => 'not-a-key' },
    { name: 'corrupted key (checksum fails)', setup: () => { const { key } = keys.create('alpha', { now }); return key.slice(0, 30) + (key[30] === 'a' ? 'b' : 'a') + key.slice(31); } },
    { name: 'unknown key', setup: () => { const other = new KeyRegistry(StateStore.open(join(dir, 'other.db'))); return other.create('alpha', { now }).key; } },
    { name: 'revoked key', setup: () => { const { key, row } = keys.create('alpha', { now }); keys.revoke(row.keyId, now); return key; } },
    { name: 'expired key', setup: () => keys.create('alpha', { now, expiresAt: now - 1 }).key },
    { name: 'agent suspended in its file', setup: () => keys.create('frozen', { now }).key },
    { name: 'agent suspended at runtime', setup: () => { suspensions.suspend('alpha', 'test', 'test', now); return keys.create('alpha', { now }).key; } },
    { name: 'agent missing from the catalog', setup: () => keys.create('ghost', { now }).key },
    { name: 'admin token on an agent surface', setup: () => 'wdnadm_test-admin-token-0123456789' },
  ])('denies with the same UNAUTHENTICATED error: $name', async ({ setup }) => {
    const d = await policy().request!(ctx(setup()));
    expect(d.kind).toBe('deny');
    if (d.kind === 'deny') {
      expect(d.error.code).toBe('UNAUTHENTICATED');
      expect(d.error.message).toBe('Missing or invalid credentials');
      expect(d.error.headers['www-authenticate']).toBe('Bearer realm="warden"');
    }
  });

  it('records the real reason and key id in the audit record, never the key', async () => {
    const audit = new MemoryAudit();
    const chain = new PolicyChain([policy()], audit);
    const { key, row } = keys.create('alpha', { now });
    keys.revoke(row.keyId, now);
    await chain.run(ctx(key), async () => ({ status: 200, body: 'x' }));
    const rec = audit.records[0]!;
    expect(rec).toMatchObject({ channel: 'auth', action: 'authenticate', target: 'gateway:whoami', decision: 'deny', code: 'UNAUTHENTICATED', keyId: row.keyId, agentId: null });
    expect(rec.reason).toContain('revoked');
    expect(JSON.stringify(rec)).not.toContain(key);
  });

  it('accepts only the admin token on the admin surface, and never an agent key there', async () => {
    const { key } = keys.create('alpha', { now });
    const onAdmin = (v: string) => policy().request!(ctx(v, { channel: 'admin', action: 'agents.list' }));
    expect((await onAdmin('wdnadm_test-admin-token-0123456789')).kind).toBe('allow');
    const d = await onAdmin(key);
    expect(d.kind).toBe('deny');
  });

  it('sees keys created and revoked by another process (the CLI) once the state is refreshed, not before', async () => {
    // The refresh runs when the CLI tells the gateway (POST /admin/state/reload) or on the
    // gateway's one-second timer, never per request (no synchronous SQLite read there).
    const refreshState = createStateRefresher(state, () => {
      keys.reload();
      suspensions.reload();
    });
    const p = policy();
    const cliStore = StateStore.open(join(dir, 'state.db'));
    try {
      const { key, row } = createKeyRow(cliStore, 'alpha', { now });
      expect((await p.request!(ctx(key))).kind).toBe('deny');
      refreshState();
      expect((await p.request!(ctx(key))).kind).toBe('allow');
      cliStore.revokeKey(row.keyId, now);
      refreshState();
      expect((await p.request!(ctx(key))).kind).toBe('deny');
      const second = createKeyRow(cliStore, 'alpha', { now });
      cliStore.suspend('alpha', 'cli', 'cli', now);
      refreshState();
      expect((await p.request!(ctx(second.key))).kind).toBe('deny');
    } finally {
      cliStore.close();
    }
  });

  it('lets a runtime resume restore access', async () => {
    const { key } = keys.create('alpha', { now });
    suspensions.suspend('alpha', null, 'test', now);
    expect((await policy().request!(ctx(key))).kind).toBe('deny');
    suspensions.resume('alpha');
    expect((await policy().request!(ctx(key))).kind).toBe('allow');
  });
});

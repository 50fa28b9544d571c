import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { emptyCatalog } from '../../test/helpers/context.js';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { createHttpApp } from '../http/server.js';
import { OverloadGuard } from '../http/overload.js';
import { KeyRegistry } from '../keys/key-registry.js';
import { ToolRegistry } from '../mcp/registry/tool-registry.js';
import { PolicyChain } from '../pipeline/chain.js';
import { buildPolicies } from '../policy/index.js';
import { StateStore } from '../state/state-store.js';
import { SuspensionIndex } from '../state/suspension-index.js';
import { AdminToken } from './admin-token.js';
import { mountToolsAdmin } from './tools-routes.js';

const TOKEN = 'admin-token-for-tests-0123456789';
const tool = (description: string) => ({ name: 'create_issue', description, inputSchema: { type: 'object' } });

describe('tools admin API', () => {
  let dir: string;
  let state: StateStore;
  let audit: MemoryAudit;
  let registry: ToolRegistry;
  let server: Server;
  let overload: OverloadGuard;
  let url: string;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'warden-tools-admin-'));
    state = StateStore.open(join(dir, 'state.db'), { busyTimeoutMs: 0 });
    audit = new MemoryAudit();
    const log = pino({ level: 'silent' });
    registry = new ToolRegistry({ state, audit, log });
    const chain = new PolicyChain(
      buildPolicies({ keys: new KeyRegistry(state), suspensions: new SuspensionIndex(state), adminToken: new AdminToken(TOKEN, 'test'), now: Date.now }),
      audit,
    );
    overload = new OverloadGuard({ maxInFlight: 100, maxEventLoopDelayMs: 10_000 });
    const app = createHttpApp({
      log,
      overload,
      readiness: { draining: () => false, notReadyReason: () => null },
      mount: (a) => mountToolsAdmin(a, { chain, catalog: emptyCatalog, log, maxBodyBytes: 65_536, registry, state }),
    });
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterEach(async () => {
    await new Promise((r) => server.close(r));
    overload.close();
    state.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (method: string, path: string, body?: unknown, token = TOKEN) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  it('lists registered tools and pending versions with their definitions and findings', async () => {
    await registry.ingest('gh', [tool('Creates an issue. <IMPORTANT>secret</IMPORTANT>')], { autoApprove: true, risk: [] });
    const list = await call('GET', '/admin/tools');
    expect(list.status).toBe(200);
    expect(list.body.tools).toEqual([
      expect.objectContaining({ name: 'gh__create_issue', upstream: 'gh', tool: 'create_issue', status: 'pending', usable: false, risk: 'destructive' }),
    ]);
    const pending = await call('GET', '/admin/tools/pending');
    expect(pending.body.pending).toEqual([
      expect.objectContaining({ name: 'gh__create_issue', findings: [expect.objectContaining({ rule: 'instruction-tag' })], definition: tool('Creates an issue. <IMPORTANT>secret</IMPORTANT>'), approvedHash: null }),
    ]);
    expect(audit.records.filter((r) => r.channel === 'admin').map((r) => r.action)).toEqual(['tools.list', 'tools.pending']);
  });

  it('approves and rejects versions, audited as admin requests and as registry decisions', async () => {
    await registry.ingest('gh', [tool('Creates an issue.')], { autoApprove: false, risk: [] });
    const hash = registry.get('gh__create_issue')!.hash;
    const approved = await call('POST', '/admin/tools/gh__create_issue/approve', { note: 'reviewed' });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ changed: true, version: { status: 'approved', decidedBy: 'admin-api', note: 'reviewed' }, current: { usable: true } });
    expect(registry.usable().map((e) => e.name)).toEqual(['gh__create_issue']);

    const rejected = await call('POST', '/admin/tools/gh__create_issue/reject', { hash: hash.slice(0, 8) });
    expect(rejected.body).toMatchObject({ changed: true, version: { status: 'rejected' }, current: { usable: false } });
    const actions = audit.records.map((r) => `${r.channel}:${r.action}:${r.target}`);
    expect(actions).toEqual(
      expect.arrayContaining(['admin:tools.approve:gh__create_issue', 'mcp:tool.approved:gh__create_issue', 'admin:tools.reject:gh__create_issue', 'mcp:tool.rejected:gh__create_issue']),
    );
  });

  it('answers bad requests in the one error shape', async () => {
    await registry.ingest('gh', [tool('Creates an issue.')], { autoApprove: false, risk: [] });
    expect((await call('POST', '/admin/tools/gh__nope/approve')).body.error.code).toBe('NOT_FOUND');
    const bad = await call('POST', '/admin/tools/gh__create_issue/approve', { hash: 'xyz' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_PARAMS');
    expect((await call('POST', '/admin/tools/gh__create_issue/approve', { extra: 1 })).status).toBe(400);
    expect((await call('GET', '/admin/tools', undefined, 'wrong-token-wrong-token')).status).toBe(401);
    expect((await call('DELETE', '/admin/tools')).status).toBe(405);
  });
});

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, createKey, makeWorkspace, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';

interface AuditRow {
  seq: number;
  requestId: string;
  channel: string;
  action: string;
  decision: string;
  code: string | null;
  reason: string | null;
  keyId: string | null;
  agentId: string | null;
  status: number | null;
}

async function auditRows(ws: Workspace, ...filters: string[]): Promise<AuditRow[]> {
  const r = await cli(ws, ['audit', 'query', '--json', '--limit', '10000', ...filters]);
  expect(r.code, r.stderr).toBe(0);
  return r.stdout.trim() === '' ? [] : r.stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditRow);
}

describe('agent keys and authentication (real gateway process)', () => {
  let ws: Workspace;
  let gw: RunningGateway;

  beforeAll(async () => {
    ws = makeWorkspace();
    gw = await startGateway(ws);
  });
  afterAll(async () => {
    await gw?.stop();
    ws?.cleanup();
  });

  const whoami = (headers: Record<string, string>, query = '') => fetch(`${gw.url}/v1/whoami${query}`, { headers });
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${gw.adminToken}`, 'content-type': 'application/json', ...(init.headers ?? {}) } });

  it('serves health and readiness', async () => {
    expect((await fetch(`${gw.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('accepts a CLI-created key as Bearer and as x-api-key, and whoami describes the agent', async () => {
    const { key, keyId } = await createKey(ws, 'support-triage');
    expect(key).toMatch(/^wdn_/);
    const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${key}` }, { 'x-api-key': key }];
    for (const headers of variants) {
      const r = await whoami(headers);
      expect(r.status).toBe(200);
      expect(r.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      const body = (await r.json()) as { agent: { id: string }; keyId: string };
      expect(body.agent.id).toBe('support-triage');
      expect(body.keyId).toBe(keyId);
    }
    const listed = await cli(ws, ['agents', 'keys', 'list', 'support-triage', '--json']);
    expect(listed.stdout).toContain(keyId);
    expect(listed.stdout).not.toContain(key);
  });

  it('answers every authentication failure with one identical 401 body, and audits the reason without the key', async () => {
    const good = await createKey(ws, 'support-triage');
    const corrupted = good.key.slice(0, 20) + (good.key[20] === 'x' ? 'y' : 'x') + good.key.slice(21);
    const revoked = await createKey(ws, 'support-triage');
    expect((await cli(ws, ['agents', 'keys', 'revoke', revoked.keyId])).code).toBe(0);
    // Far enough ahead that a slow CLI start on a loaded machine still creates it before it expires.
    const expiresAt = Date.now() + 5000;
    const expired = await createKey(ws, 'code-reviewer', ['--expires', new Date(expiresAt).toISOString()]);
    await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now()) + 100));
    const cases: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer nonsense' },
      { authorization: `Bearer ${corrupted}` },
      { authorization: `Bearer ${revoked.key}` },
      { authorization: `Bearer ${expired.key}` },
      { authorization: `Bearer ${gw.adminToken}` },
      { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` },
    ];
    const bodies = new Set<string>();
    for (const headers of cases) {
      // Revoked by the CLI while the gateway runs: the poll must have applied it.
      const r = await whoami(headers);
      expect(r.status).toBe(401);
      expect(r.headers.get('www-authenticate')).toBe('Bearer realm="warden"');
      const body = (await r.json()) as { error: { requestId: string } };
      bodies.add(JSON.stringify({ ...body.error, requestId: '' }));
    }
    expect(bodies.size).toBe(1);
    const rows = await auditRows(ws, '--channel', 'auth');
    const reasons = rows.map((r) => r.reason ?? '');
    expect(reasons.some((r) => r.includes('revoked'))).toBe(true);
    expect(reasons.some((r) => r.includes('expired'))).toBe(true);
    expect(reasons.some((r) => r.includes('malformed'))).toBe(true);
    expect(rows.find((r) => r.reason?.includes('revoked'))?.keyId).toBe(revoked.keyId);
    const dump = await cli(ws, ['audit', 'export', '--format', 'jsonl']);
    for (const k of [good.key, corrupted, revoked.key, expired.key, gw.adminToken]) expect(dump.stdout).not.toContain(k);
    expect(gw.logs.join('\n')).not.toContain(good.key);
  });

  it('refuses keys in the query string without logging them', async () => {
    const { key } = await createKey(ws, 'support-triage');
    const r = await whoami({}, `?api_key=${key}`);
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    const r2 = await whoami({ authorization: `Bearer ${key}` }, `?q=${key}`);
    expect(r2.status).toBe(400);
    await new Promise((res) => setTimeout(res, 200));
    expect(gw.logs.join('\n')).not.toContain(key);
  });

  it('revokes through the admin API with immediate effect', async () => {
    const created = await admin('/admin/agents/finance-analyst/keys', { method: 'POST', body: JSON.stringify({ label: 'ci', ttlDays: 1 }) });
    expect(created.status).toBe(201);
    const { key, keyId } = (await created.json()) as { key: string; keyId: string };
    expect((await whoami({ authorization: `Bearer ${key}` })).status).toBe(200);
    const listed = (await (await admin('/admin/agents/finance-analyst/keys')).json()) as { keys: Array<{ keyId: string; label: string }> };
    expect(listed.keys.find((k) => k.keyId === keyId)?.label).toBe('ci');
    expect(JSON.stringify(listed)).not.toContain(key);
    expect((await admin(`/admin/keys/${keyId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await whoami({ authorization: `Bearer ${key}` })).status).toBe(401);
    expect((await admin('/admin/keys/doesnotexist', { method: 'DELETE' })).status).toBe(404);
  });

  it('refuses a key or admin token in the URL path (also percent-encoded) with 400, and it reaches neither the audit trail, the log nor the answer', async () => {
    const { key, keyId } = await createKey(ws, 'support-triage');
    const encoded = `%77dn_${key.slice(4)}`;
    const doubly = `%2577dn_${key.slice(4)}`;
    const agent = { authorization: `Bearer ${key}` };
    const requests: Array<[string, string, Record<string, string>?]> = [
      ['DELETE', `/admin/keys/${key}`],
      ['DELETE', `/admin/keys/${encoded}`],
      ['DELETE', `/admin/keys/${gw.adminToken}`],
      ['GET', `/admin/agents/${key}`],
      ['GET', `/admin/agents/${doubly}`],
      ['GET', `/admin/agents/${key}/keys`],
      ['GET', `/v1/models/${key}`, agent],
      ['GET', `/v1/models/${encoded}`, agent],
    ];
    for (const [method, path, headers] of requests) {
      const r = await fetch(`${gw.url}${path}`, { method, headers: headers ?? { authorization: `Bearer ${gw.adminToken}` } });
      expect(r.status, `${method} ${path.slice(0, 20)}`).toBe(400);
      const text = await r.text();
      const body = JSON.parse(text) as { error: { code: string; message: string } };
      // The admin API's shape, or OpenAI's envelope (lower-case code) on /v1.
      expect(body.error.code.toUpperCase()).toBe('BAD_REQUEST');
      expect(body.error.message).toMatch(/URL path/);
      for (const secret of [key, key.slice(4), gw.adminToken, gw.adminToken.slice(7)]) expect(text).not.toContain(secret);
    }
    // The key id alone is no secret and still works as before.
    expect((await admin(`/admin/keys/${keyId}`, { method: 'DELETE' })).status).toBe(200);
    expect((await admin('/admin/keys/doesnotexist', { method: 'DELETE' })).status).toBe(404);
    await new Promise((r) => setTimeout(r, 300));
    const stored = ['audit.db', 'audit.db-wal']
      .map((f) => join(ws.dataDir, f))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f).toString('latin1'))
      .join('');
    const logged = gw.logs.join('\n') + gw.stderr.join('');
    for (const secret of [key.slice(4), gw.adminToken.slice(7)]) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    const refused = await auditRows(ws, '--decision', 'deny');
    expect(refused.filter((r) => r.reason?.includes('URL path')).length).toBeGreaterThanOrEqual(requests.length);
  });

  it('refuses two different Authorization or x-api-key headers, and treats an empty Authorization header as absent', async () => {
    const { key } = await createKey(ws, 'support-triage');
    // fetch folds repeated headers into one line; node's http client sends each line.
    const raw = (headers: Record<string, string | string[]>) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const r = request(`${gw.url}/v1/whoami`, { headers }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c)).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        r.on('error', reject).end();
      });
    const twice: Array<Record<string, string[]>> = [{ authorization: [`Bearer ${key}`, 'Bearer junk'] }, { 'x-api-key': [key, 'junk'] }, { authorization: ['Bearer junk', `Bearer ${key}`] }];
    for (const headers of twice) {
      const r = await raw(headers);
      expect(r.status).toBe(400);
      expect((JSON.parse(r.body) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
      expect(r.body).not.toContain(key);
    }
    expect((await raw({ authorization: [`Bearer ${key}`, `Bearer ${key}`] })).status).toBe(200);
    expect((await raw({ authorization: '', 'x-api-key': key })).status).toBe(200);
  });

  it('never lets an agent key reach the admin API, and requires the admin token', async () => {
    const { key } = await createKey(ws, 'support-triage');
    expect((await fetch(`${gw.url}/admin/agents`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(401);
    expect((await fetch(`${gw.url}/admin/agents`)).status).toBe(401);
    expect((await admin('/admin/agents')).status).toBe(200);
  });

  it('has the running gateway apply a CLI change before the command returns, or within a second when it cannot be asked', async () => {
    // No wait anywhere: requests do not read state.db, so only the CLI's reload call can make
    // these hold at once.
    const { key, keyId } = await createKey(ws, 'support-triage');
    const auth = { authorization: `Bearer ${key}` };
    expect((await whoami(auth)).status).toBe(200);
    const revoked = await cli(ws, ['agents', 'keys', 'revoke', keyId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stderr).toBe('');
    expect((await whoami(auth)).status).toBe(401);
    const reloads = await auditRows(ws, '--channel', 'admin');
    expect(reloads.filter((r) => r.action === 'state.reload' && r.decision === 'allow' && r.status === 200).length).toBeGreaterThanOrEqual(2);

    // A gateway the CLI cannot reach (its runtime file names a port nobody listens on): the
    // CLI says so, and the gateway's timer applies the change.
    const runtimePath = join(ws.dataDir, 'gateway.json');
    const runtime = readFileSync(runtimePath, 'utf8');
    const closed = await new Promise<number>((resolve) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => resolve(port));
      });
    });
    const other = await createKey(ws, 'support-triage');
    expect((await whoami({ authorization: `Bearer ${other.key}` })).status).toBe(200);
    writeFileSync(runtimePath, JSON.stringify({ ...JSON.parse(runtime), port: closed }));
    try {
      const suspended = await cli(ws, ['agents', 'suspend', 'support-triage', '--reason', 'timer']);
      expect(suspended.code).toBe(0);
      expect(suspended.stderr).toContain('did not confirm the change; it applies it within a second');
      const t0 = Date.now();
      let status = 200;
      while (status !== 401 && Date.now() - t0 < 5000) {
        await new Promise((r) => setTimeout(r, 100));
        status = (await whoami({ authorization: `Bearer ${other.key}` })).status;
      }
      expect(status).toBe(401);
    } finally {
      writeFileSync(runtimePath, runtime);
      expect((await cli(ws, ['agents', 'resume', 'support-triage'])).code).toBe(0);
    }
  });

  it('lists the keys of a catalog agent and answers 404 for an id that is neither in the catalog nor has keys', async () => {
    const listed = await admin('/admin/agents/finance-analyst/keys');
    expect(listed.status).toBe(200);
    expect(Array.isArray(((await listed.json()) as { keys: unknown }).keys)).toBe(true);
    const typo = await admin('/admin/agents/support-triag/keys');
    expect(typo.status).toBe(404);
    expect(((await typo.json()) as { error: { code: string } }).error.code).toBe('NOT_FOUND');
  });

  it('refuses the state reload without the admin token, and answers whether anything changed', async () => {
    expect((await fetch(`${gw.url}/admin/state/reload`, { method: 'POST' })).status).toBe(401);
    const r = await admin('/admin/state/reload', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ changed: false });
  });

  it('applies a runtime suspension from the CLI at once and lifts it on resume', async () => {
    const { key } = await createKey(ws, 'code-reviewer');
    const auth = { authorization: `Bearer ${key}` };
    expect((await whoami(auth)).status).toBe(200);
    expect((await cli(ws, ['agents', 'suspend', 'code-reviewer', '--reason', 'investigation'])).code).toBe(0);
    await new Promise((r) => setTimeout(r, 400));
    expect((await whoami(auth)).status).toBe(401);
    const view = (await (await admin('/admin/agents/code-reviewer')).json()) as { status: string; runtimeSuspension: { reason: string } };
    expect(view.status).toBe('suspended');
    expect(view.runtimeSuspension.reason).toBe('investigation');
    expect((await admin('/admin/agents/code-reviewer/resume', { method: 'POST' })).status).toBe(200);
    expect((await whoami(auth)).status).toBe(200);
  });

  it('rejects contradictory or dangerous CLI input with a usage error and never echoes a key', async () => {
    const both = await cli(ws, ['agents', 'keys', 'create', 'support-triage', '--ttl-days', '3', '--expires', '2030-01-01']);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/not both/);
    // Strict times: neither a date not in the calendar nor a time without a zone (the host's local time).
    for (const expires of ['2030-02-31', '2030-01-01T00:00:00']) {
      const r = await cli(ws, ['agents', 'keys', 'create', 'support-triage', '--expires', expires]);
      expect(r.code, expires).toBe(2);
      expect(r.stderr).toMatch(/--expires: expected an ISO 8601/);
    }
    const { key } = await createKey(ws, 'support-triage');
    const revokeByKey = await cli(ws, ['agents', 'keys', 'revoke', key]);
    expect(revokeByKey.code).toBe(2);
    expect(revokeByKey.stdout + revokeByKey.stderr).not.toContain(key);
    const typo = await cli(ws, ['agents', 'keys', 'create', 'support-triage', '--lable', 'x']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("'--lable'");
  });

  it('refuses key expiries no date can show, or dates that do not exist, before writing any key', async () => {
    const keyCount = async () => (await cli(ws, ['agents', 'keys', 'list', 'code-reviewer', '--json'])).stdout.trim().split('\n').filter(Boolean).length;
    const before = await keyCount();
    const bad = [
      ['--ttl-days', '1e10'],
      ['--ttl-days', 'Infinity'],
      ['--ttl-days', '3651'],
      ['--ttl-days', '0x10'],
      ['--expires', '99999999999999999'],
      ['--expires', '2030-02-31T00:00:00Z'],
      ['--expires', '2030-02-31'],
      ['--expires', '+275760-09-14T00:00:00Z'],
    ];
    // Independent refusals, run side by side: each is a whole CLI process start.
    const results = await Promise.all(bad.map((flags) => cli(ws, ['agents', 'keys', 'create', 'code-reviewer', ...flags])));
    results.forEach((r, i) => {
      const flags = bad[i]!;
      expect(r.code, `${flags.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toContain(flags[0]);
      expect(r.stdout).not.toMatch(/wdn_/);
    });
    expect(await keyCount()).toBe(before);
    const listed = await cli(ws, ['agents', 'keys', 'list']);
    expect(listed.code, listed.stderr).toBe(0);
    const ok = await cli(ws, ['agents', 'keys', 'create', 'code-reviewer', '--json', '--ttl-days', '3650']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(Date.parse((JSON.parse(ok.stdout) as { expiresAt: string }).expiresAt)).toBeGreaterThan(Date.now() + 3649 * 86_400_000);
  }, 60_000);

  it('still lists keys whose stored expiry no date can show (written before validation), showing null', async () => {
    const { keyId } = await createKey(ws, 'code-reviewer');
    const db = new Database(`${ws.dataDir}/state.db`);
    try {
      db.prepare('UPDATE agent_keys SET expires_at = ? WHERE key_id = ?').run(Date.now() + 1e10 * 86_400_000, keyId);
    } finally {
      db.close();
    }
    const r = await admin('/admin/agents/code-reviewer/keys');
    expect(r.status).toBe(200);
    const { keys } = (await r.json()) as { keys: Array<{ keyId: string; expiresAt: string | null }> };
    expect(keys.find((k) => k.keyId === keyId)?.expiresAt).toBeNull();
    const listed = await cli(ws, ['agents', 'keys', 'list', 'code-reviewer']);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(keyId);
    expect((await admin(`/admin/keys/${keyId}`, { method: 'DELETE' })).status).toBe(200);
  });

  it('records the subject agent and reason of admin actions in the audit trail', async () => {
    const r = await admin('/admin/agents/finance-analyst/suspend', { method: 'POST', body: JSON.stringify({ reason: 'quarterly review' }) });
    expect(r.status).toBe(200);
    expect((await admin('/admin/agents/finance-analyst/resume', { method: 'POST' })).status).toBe(200);
    const rows = await auditRows(ws, '--agent', 'finance-analyst', '--channel', 'admin');
    expect(rows.find((x) => x.action === 'agents.suspend')?.reason).toBe('quarterly review');
    expect(rows.some((x) => x.action === 'agents.resume')).toBe(true);
  });

  it('audits every governed request with its decision path', async () => {
    const { key } = await createKey(ws, 'support-triage');
    const r = await whoami({ authorization: `Bearer ${key}` });
    const requestId = r.headers.get('x-request-id')!;
    const rows = await auditRows(ws, '--agent', 'support-triage', '--channel', 'gateway');
    const row = rows.find((x) => x.requestId === requestId) as unknown as { path: Array<{ policy: string }>; decision: string; status: number };
    expect(row).toBeDefined();
    expect(row.decision).toBe('allow');
    expect(row.status).toBe(200);
    expect(row.path.map((p) => p.policy)).toEqual(['authenticate', 'authorize', 'authorize-target', 'rate-limit', 'llm-estimate', 'token-rate-limit', 'budget', 'loop-detection', 'forward']);
  });
});

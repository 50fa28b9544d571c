import http from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, createKey, makeWorkspace, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Hammers /v1/whoami with `concurrency` keep-alive clients; records the request ids of every full answer. */
function load(url: string, key: string, concurrency: number) {
  const answered = new Map<string, number>();
  let running = true;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const one = () =>
    new Promise<void>((resolve) => {
      const req = http.get(`${url}/v1/whoami`, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
        const id = res.headers['x-request-id'];
        res.resume();
        res.on('end', () => {
          if (typeof id === 'string') answered.set(id, res.statusCode ?? 0);
          resolve();
        });
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
    });
  const workers = Array.from({ length: concurrency }, async () => {
    while (running) await one();
  });
  return {
    answered,
    async stop() {
      running = false;
      await Promise.all(workers);
      agent.destroy();
    },
  };
}

/** Retries for up to 10 s; returns the last status seen. */
async function eventually200(call: () => Promise<Response>): Promise<number> {
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    status = (await call()).status;
    if (status !== 200) await sleep(200);
  }
  return status;
}

function auditIds(ws: Workspace): Set<string> {
  const db = new Database(join(ws.dataDir, 'audit.db'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    return new Set((db.prepare('SELECT request_id AS id FROM audit_events').all() as Array<{ id: string }>).map((r) => r.id));
  } finally {
    db.close();
  }
}

describe('audit durability and storage faults (real gateway process)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A running gateway with a key for support-triage that has been seen to work. */
  async function boot(config = '', stopSignal: NodeJS.Signals = 'SIGTERM') {
    const ws = makeWorkspace({ config });
    cleanups.push(() => ws.cleanup());
    const gw: RunningGateway = await startGateway(ws);
    cleanups.push(async () => void (await gw.stop(stopSignal)));
    const { key } = await createKey(ws, 'support-triage');
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    // The CLI's own audit write may briefly hold the lock; with tight timeouts wait it out.
    expect(await eventually200(whoami)).toBe(200);
    return { ws, gw, whoami };
  }

  it('keeps the record of every answered request across SIGKILL under concurrent load, with an intact chain', async () => {
    const ws = makeWorkspace();
    cleanups.push(() => ws.cleanup());
    const { key } = await createKey(ws, 'support-triage');
    const allAnswered = new Map<string, number>();
    for (let round = 0; round < 3; round++) {
      const gw = await startGateway(ws);
      const l = load(gw.url, key, 16);
      await sleep(800 + round * 300);
      gw.proc.kill('SIGKILL');
      await gw.exited;
      await l.stop();
      for (const [id, status] of l.answered) allAnswered.set(id, status);
      expect(l.answered.size).toBeGreaterThan(50);
    }
    const ids = auditIds(ws);
    const missing = [...allAnswered.keys()].filter((id) => !ids.has(id));
    expect(missing).toEqual([]);
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    // And the gateway starts again on the same data.
    const gw = await startGateway(ws);
    expect((await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    await gw.stop();
  }, 90_000);

  it('fails closed with 503 while the audit database is locked, records what it answered, and recovers', async () => {
    const { ws, gw, whoami } = await boot('audit: { commitWaitMs: 800, busyTimeoutMs: 100 }\n');

    const locker = new Database(join(ws.dataDir, 'audit.db'));
    locker.exec('BEGIN EXCLUSIVE');
    let lockedId = '';
    try {
      const t0 = Date.now();
      const r = await whoami();
      expect(r.status).toBe(503);
      expect(((await r.json()) as { error: { code: string } }).error.code).toBe('AUDIT_UNAVAILABLE');
      expect(Date.now() - t0).toBeLessThan(5000);
      lockedId = r.headers.get('x-request-id')!;
      const ready = await fetch(`${gw.url}/readyz`);
      expect(ready.status).toBe(503);
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    // Service resumes by itself, and the 503 answer was recorded as a 503.
    expect(await eventually200(whoami)).toBe(200);
    const db = new Database(join(ws.dataDir, 'audit.db'), { readonly: true });
    const row = db.prepare('SELECT status, code FROM audit_events WHERE request_id = ?').get(lockedId) as { status: number; code: string } | undefined;
    db.close();
    expect(row).toEqual({ status: 503, code: 'AUDIT_UNAVAILABLE' });
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);

  it('fails closed with 503 and fails readiness once the audit database file is deleted', async () => {
    const { ws, gw, whoami } = await boot('', 'SIGKILL');
    for (const suffix of ['', '-wal', '-shm']) rmSync(join(ws.dataDir, `audit.db${suffix}`), { force: true });
    let status = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000) {
      status = (await whoami()).status;
      if (status === 503) break;
      await sleep(200);
    }
    expect(status).toBe(503);
    const ready = await fetch(`${gw.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/audit/);
  }, 30_000);

  it('keeps serving while the CLI (or a backup tool) holds the state database lock', async () => {
    const { ws, gw, whoami } = await boot();
    const locker = new Database(join(ws.dataDir, 'state.db'));
    locker.exec('BEGIN IMMEDIATE');
    try {
      // Long enough to span a readiness probe and a last-used flush.
      const until = Date.now() + 5500;
      const statuses = new Set<number>();
      while (Date.now() < until) {
        statuses.add((await whoami()).status);
        statuses.add((await fetch(`${gw.url}/healthz`)).status);
        await sleep(50);
      }
      // No OVERLOADED from a stalled event loop: authentication reads never wait for the lock.
      expect([...statuses]).toEqual([200]);
      // A state write retries asynchronously, then answers a retryable 503.
      const suspend = await fetch(`${gw.url}/admin/agents/support-triage/suspend`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}` } });
      expect(suspend.status).toBe(503);
      expect(suspend.headers.get('retry-after')).toBe('1');
    } finally {
      locker.exec('ROLLBACK');
      locker.close();
    }
    const suspend = await fetch(`${gw.url}/admin/agents/support-triage/suspend`, { method: 'POST', headers: { authorization: `Bearer ${gw.adminToken}` } });
    expect(suspend.status).toBe(200);
  }, 30_000);

  // Needs a small filesystem to fill: a tmpfs mount, which needs root (CI runs as root).
  it.runIf(process.getuid?.() === 0)('fails closed with 503 when the disk is full and recovers when space is freed', async () => {
    const ws = makeWorkspace({ config: 'audit: { commitWaitMs: 800, busyTimeoutMs: 100 }\n' });
    cleanups.push(() => ws.cleanup());
    mkdirSync(ws.dataDir, { recursive: true });
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', ws.dataDir]);
    cleanups.push(() => void execFileSync('umount', ['-l', ws.dataDir]));
    const gw: RunningGateway = await startGateway(ws);
    cleanups.push(async () => void (await gw.stop('SIGKILL')));
    const { key } = await createKey(ws, 'support-triage');
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect((await whoami()).status).toBe(200);
    // Leave ~64 KiB free, then keep writing until the audit store refuses.
    const free = Number(execFileSync('df', ['--output=avail', '-B1', ws.dataDir], { encoding: 'utf8' }).trim().split('\n')[1]);
    const filler = join(ws.dataDir, 'filler');
    try {
      writeFileSync(filler, Buffer.alloc(Math.max(0, free - 64 * 1024)));
    } catch {
      // ENOSPC while filling is fine: the disk is as full as it gets.
    }
    let status = 200;
    let code = '';
    for (let i = 0; i < 2000 && status === 200; i++) {
      const r = await whoami();
      status = r.status;
      if (status !== 200) code = ((await r.json()) as { error: { code: string } }).error.code;
    }
    expect(status).toBe(503);
    expect(code).toBe('AUDIT_UNAVAILABLE');
    expect((await fetch(`${gw.url}/readyz`)).status).toBe(503);
    rmSync(filler);
    expect(await eventually200(whoami)).toBe(200);
    await gw.stop();
    const verify = await cli(ws, ['audit', 'verify']);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  }, 60_000);
});

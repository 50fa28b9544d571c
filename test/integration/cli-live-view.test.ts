/**
 * `warden budgets status` asks the running gateway's admin API, and only the gateway: the
 * process its runtime file names, while that process lives, with that process's own token.
 * Whatever else holds the port once the gateway is down never receives the admin token; a
 * process that reuses the dead gateway's pid gets only a token that opens nothing.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, makeWorkspace, startGateway } from '../helpers/gateway-process.js';
import { freePort } from '../fixtures/mcp-upstreams/setup.js';

describe('the CLI and the running gateway', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  it('uses the live view of the gateway its runtime file names, and sends the admin token to nothing else', async () => {
    const ws = makeWorkspace();
    cleanups.push(() => ws.cleanup());
    // A fixed port, as in production: with port 0 the CLI would have nowhere to ask anyway.
    const port = await freePort();
    writeFileSync(ws.config, readFileSync(ws.config, 'utf8').replace('port: 0', `port: ${port}`));
    const gw = await startGateway(ws);
    cleanups.push(async () => void (await gw.stop('SIGKILL')));
    const runtime = join(ws.dataDir, 'gateway.json');
    expect(gw.port).toBe(port);
    const written = JSON.parse(readFileSync(runtime, 'utf8')) as { token: string };
    expect(written).toEqual({ pid: gw.proc.pid, host: '127.0.0.1', port, token: expect.stringMatching(/^wdnadm_rt_/) });
    // The runtime token is an admin credential of this process.
    expect((await fetch(`${gw.url}/admin/agents`, { headers: { authorization: `Bearer ${written.token}` } })).status).toBe(200);
    const live = await cli(ws, ['budgets', 'status']);
    expect(live.code).toBe(0);
    expect(live.stderr).not.toContain('gateway not reachable');

    expect((await gw.stop()).code).toBe(0);
    expect(existsSync(runtime)).toBe(false);
    // Another process takes the port the gateway had.
    const seen: Array<string | undefined> = [];
    const squatter: Server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"budgets":[]}');
    });
    await new Promise<void>((r) => squatter.listen(gw.port, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => squatter.close(() => r())));
    const down = await cli(ws, ['budgets', 'status']);
    expect(down.stderr).toContain('gateway not reachable');
    // A runtime file left by a gateway that died names a process that is gone.
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(runtime, JSON.stringify({ pid: dead.pid, host: '127.0.0.1', port: gw.port }));
    const stale = await cli(ws, ['budgets', 'status']);
    expect(stale.stderr).toContain('gateway not reachable');
    expect(seen).toEqual([]);
    // A gateway killed outright leaves its file, and a process may then reuse its pid (here:
    // this test's own). The squatter gets the dead gateway's runtime token, never the admin token.
    writeFileSync(runtime, JSON.stringify({ ...written, pid: process.pid, port: gw.port }));
    await cli(ws, ['budgets', 'status']);
    expect(seen).toEqual([`Bearer ${written.token}`]);
    expect(seen.join()).not.toContain(gw.adminToken);
    await new Promise<void>((r) => squatter.close(() => r()));
    // And that token opens nothing on the next gateway.
    const next = await startGateway(ws);
    cleanups.push(async () => void (await next.stop('SIGKILL')));
    expect((await fetch(`${next.url}/admin/agents`, { headers: { authorization: `Bearer ${written.token}` } })).status).toBe(401);
    expect((await fetch(`${next.url}/admin/agents`, { headers: { authorization: `Bearer ${next.adminToken}` } })).status).toBe(200);
  });
});

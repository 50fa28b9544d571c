import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cli, createKey, makeWorkspace, startGateway, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { CLI } from '../helpers/gateway-process.js';

const agentYaml = (id: string, extra = '') => `schemaVersion: 1\nid: ${id}\ndisplayName: Agent ${id}\nowner: team-test\n${extra}`;

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, ms = 8000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('start-up, check and the live catalog (real gateway process)', () => {
  const cleanups: Array<() => Promise<void> | void> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = (ws: Workspace, gw?: RunningGateway) => {
    cleanups.push(() => ws.cleanup());
    if (gw) cleanups.push(async () => void (await gw.stop()));
  };

  it('warden check accepts the example catalog and reports every problem of a broken one at once', async () => {
    const ok = makeWorkspace();
    track(ok);
    const good = await cli(ok, ['check']);
    expect(good.code, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/3 agent\(s\)/);

    const bad = makeWorkspace({ catalogFrom: null });
    track(bad);
    writeFileSync(join(bad.catalogDir, 'typo.yaml'), agentYaml('typo', 'descriptoin: oops\n'));
    writeFileSync(join(bad.catalogDir, 'broken.yaml'), 'schemaVersion: 1\nid: [unclosed\n');
    writeFileSync(join(bad.catalogDir, 'dupkeys.yaml'), agentYaml('dupkeys', 'owner: twice\n'));
    writeFileSync(join(bad.catalogDir, 'secret.yaml'), agentYaml('secret', 'a2a:\n  endpoint:\n    url: https://agent.example.com/a2a\n    credential: { env: WARDEN_TEST_MISSING_SECRET }\n'));
    const r = await cli(bad, ['check']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('typo.yaml');
    expect(r.stderr).toContain('descriptoin');
    expect(r.stderr).toContain('broken.yaml');
    expect(r.stderr).toContain('dupkeys.yaml');
    expect(r.stderr).toContain('WARDEN_TEST_MISSING_SECRET');
  });

  it('refuses to start on an invalid catalog, printing the report, and on an invalid warden.yaml', async () => {
    const ws = makeWorkspace({ catalogFrom: null });
    track(ws);
    // Both names match the id, so only the duplicate can be what is reported.
    writeFileSync(join(ws.catalogDir, 'one.yaml'), agentYaml('one'));
    writeFileSync(join(ws.catalogDir, 'one.yml'), agentYaml('one'));
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws.config], { cwd: ws.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/one\.yaml/);
    expect(r.stderr).toMatch(/one\.yml/);
    expect(r.stderr).toMatch(/also declared/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // a report, not a stack trace

    const ws2 = makeWorkspace({ config: 'limits: { maxBodyByte: 5 }\n' });
    track(ws2);
    const r2 = spawnSync(process.execPath, [CLI, 'start', '--config', ws2.config], { cwd: ws2.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('limits.maxBodyByte');
  });

  it('refuses to start on a too-short admin.token instead of regenerating it, and warns about one other users can read', async () => {
    const ws = makeWorkspace();
    track(ws);
    mkdirSync(ws.dataDir, { recursive: true, mode: 0o700 });
    const tokenFile = join(ws.dataDir, 'admin.token');
    writeFileSync(tokenFile, 'short\n', { mode: 0o644 });
    chmodSync(tokenFile, 0o644);
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws.config], { cwd: ws.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(tokenFile);
    expect(r.stderr).toContain('fewer than 16 characters');
    expect(readFileSync(tokenFile, 'utf8')).toBe('short\n');

    writeFileSync(tokenFile, 'an-operator-written-admin-token\n');
    const gw = await startGateway(ws);
    track(ws, gw);
    expect(gw.adminToken).toBe('an-operator-written-admin-token');
    const warning = gw.logs.map((l) => JSON.parse(l) as { level: number; msg: string; file?: string }).find((l) => l.msg.includes('admin token file'));
    expect(warning).toMatchObject({ level: 40, file: tokenFile, msg: expect.stringContaining('chmod 600') });
  });

  it('refuses to start (fail closed) on an unreadable state database or a missing signing key', async () => {
    const ws = makeWorkspace();
    track(ws);
    mkdirSync(ws.dataDir, { recursive: true });
    writeFileSync(join(ws.dataDir, 'state.db'), Buffer.alloc(8192, 7));
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws.config], { cwd: ws.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('state.db');

    const ws2 = makeWorkspace({ config: 'audit: { checkpoint: { signingKey: { file: ./missing.pem } } }\n' });
    track(ws2);
    const r2 = spawnSync(process.execPath, [CLI, 'start', '--config', ws2.config], { cwd: ws2.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toContain('signingKey');
  });

  it('refuses MCP upstreams whose credentials are written inline or cannot be resolved, in check and at start', async () => {
    const upstreams = [
      { id: 'inline', transport: 'http', url: 'http://127.0.0.1:9/mcp', internal: true, headers: { Authorization: 'Bearer abc' } },
      { id: 'unset', transport: 'http', url: 'http://127.0.0.1:9/mcp', internal: true, headers: { Authorization: { env: 'WARDEN_TEST_UNSET_TOKEN' } } },
    ];
    const ws = makeWorkspace({ config: `mcp: ${JSON.stringify({ upstreams: [upstreams[0]] })}\n` });
    track(ws);
    const inline = await cli(ws, ['check']);
    expect(inline.code).toBe(1);
    expect(inline.stderr).toContain('mcp.upstreams[0].headers.Authorization');
    expect(inline.stderr).toMatch(/secret reference/);

    const ws2 = makeWorkspace({ config: `mcp: ${JSON.stringify({ upstreams: [upstreams[1]] })}\n` });
    track(ws2);
    const unset = await cli(ws2, ['check']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('mcp.upstreams[0].headers.Authorization');
    expect(unset.stderr).toContain('WARDEN_TEST_UNSET_TOKEN');
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws2.config], { cwd: ws2.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('WARDEN_TEST_UNSET_TOKEN');
  });

  it('refuses to start on an unresolvable LLM provider key before writing anything to the data directory', async () => {
    const llm = { providers: [{ id: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: { env: 'WARDEN_TEST_UNSET_LLM_KEY' }, models: [{ name: 'gpt-4o' }] }] };
    const ws = makeWorkspace({ config: `llm: ${JSON.stringify(llm)}\n` });
    track(ws);
    const fresh = join(ws.dir, 'fresh-data');
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws.config, '--data-dir', fresh], { cwd: ws.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('llm.providers[0].apiKey: environment variable WARDEN_TEST_UNSET_LLM_KEY is not set');
    expect(existsSync(fresh)).toBe(false); // no audit.db, state.db or admin.token left behind
  });

  it('refuses LLM providers whose key cannot be resolved and aliases of unknown models, in check and at start', async () => {
    const llm = {
      providers: [{ id: 'openai', baseUrl: 'https://api.openai.com/v1', apiKey: { env: 'WARDEN_TEST_UNSET_LLM_KEY' }, models: [{ name: 'gpt-4o' }] }],
      aliases: { smart: { targets: [{ model: 'gpt-5-imaginary' }] } },
    };
    const ws = makeWorkspace({ config: `llm: ${JSON.stringify(llm)}\n` });
    track(ws);
    const bad = await cli(ws, ['check']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('llm.aliases.smart.targets[0].model');
    expect(bad.stderr).toContain('gpt-5-imaginary');

    const ws2 = makeWorkspace({ config: `llm: ${JSON.stringify({ providers: llm.providers })}\n` });
    track(ws2);
    const unset = await cli(ws2, ['check']);
    expect(unset.code).toBe(1);
    expect(unset.stderr).toContain('llm.providers[0].apiKey');
    expect(unset.stderr).toContain('WARDEN_TEST_UNSET_LLM_KEY');
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws2.config], { cwd: ws2.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('WARDEN_TEST_UNSET_LLM_KEY');

    const ok = await cli(ws2, ['check'], { WARDEN_TEST_UNSET_LLM_KEY: 'sk-test' });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('1 LLM model(s) and alias(es)');
    // The example catalog's default models are not served by this config: each is a warning.
    expect(ok.stderr).toMatch(/models.defaultModel "claude-sonnet-4" is not a model or alias/);
  });

  it('applies valid catalog edits atomically and keeps serving the old catalog after a bad edit (audited)', async () => {
    const ws = makeWorkspace({ catalogFrom: null });
    writeFileSync(join(ws.catalogDir, 'alpha.yaml'), agentYaml('alpha'));
    const gw = await startGateway(ws);
    track(ws, gw);
    const admin = (p: string) => fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    const { key } = await createKey(ws, 'alpha');
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect((await whoami()).status).toBe(200);

    // Add an agent: visible once the reload lands.
    writeFileSync(join(ws.catalogDir, 'beta.yaml'), agentYaml('beta'));
    await waitFor(async () => ((await admin('/admin/agents/beta')).status === 200 ? true : undefined));

    // A bad edit: rejected, previous catalog keeps serving, rejection visible and audited.
    writeFileSync(join(ws.catalogDir, 'alpha.yaml'), agentYaml('alpha', 'statsu: suspended\n'));
    const status = await waitFor(async () => {
      const s = (await (await admin('/admin/catalog')).json()) as { lastRejection: { issues: Array<{ path: string }> } | null; agents: number };
      return s.lastRejection ? s : undefined;
    });
    expect(JSON.stringify(status.lastRejection)).toContain('statsu');
    expect(status.agents).toBe(2);
    expect((await whoami()).status).toBe(200);
    const rejected = await cli(ws, ['audit', 'query', '--json', '--channel', 'system', '--decision', 'deny']);
    expect(rejected.stdout).toContain('catalog.reload');

    // Fix it by suspending in the file: the agent's key stops working.
    writeFileSync(join(ws.catalogDir, 'alpha.yaml'), agentYaml('alpha', 'status: suspended\n'));
    await waitFor(async () => ((await whoami()).status === 401 ? true : undefined));
    const fixed = (await (await admin('/admin/catalog')).json()) as { lastRejection: unknown };
    expect(fixed.lastRejection).toBeNull();

    // Delete the file: the agent is gone.
    rmSync(join(ws.catalogDir, 'beta.yaml'));
    await waitFor(async () => ((await admin('/admin/agents/beta')).status === 404 ? true : undefined));
  });

  it('keeps the keys of an agent whose file disappears only for a moment (an editor save, a redeploy)', async () => {
    const ws = makeWorkspace({ catalogFrom: null, config: 'keys: { revokeRemovedAgentKeysAfterMs: 3000 }\n' });
    writeFileSync(join(ws.catalogDir, 'echo.yaml'), agentYaml('echo'));
    const gw = await startGateway(ws);
    track(ws, gw);
    const { key } = await createKey(ws, 'echo');
    const admin = (p: string) => fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    rmSync(join(ws.catalogDir, 'echo.yaml'));
    await waitFor(async () => ((await admin('/admin/agents/echo')).status === 404 ? true : undefined));
    writeFileSync(join(ws.catalogDir, 'echo.yaml'), agentYaml('echo'));
    await waitFor(async () => ((await admin('/admin/agents/echo')).status === 200 ? true : undefined));
    await new Promise((r) => setTimeout(r, 3500));
    expect((await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
  });

  it('revokes the keys of an agent gone for the grace period, so a new agent reusing the id does not inherit them', async () => {
    const ws = makeWorkspace({ catalogFrom: null, config: 'keys: { revokeRemovedAgentKeysAfterMs: 300 }\n' });
    writeFileSync(join(ws.catalogDir, 'delta.yaml'), agentYaml('delta'));
    const gw = await startGateway(ws);
    track(ws, gw);
    // Two keys, and no request in between: the gateway has never seen them when the agent goes.
    const { key, keyId } = await createKey(ws, 'delta');
    const second = await createKey(ws, 'delta');
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    rmSync(join(ws.catalogDir, 'delta.yaml'));
    await waitFor(async () => {
      const keys = await cli(ws, ['agents', 'keys', 'list', 'delta', '--json']);
      const rows = keys.stdout.trim().split('\n').map((l) => JSON.parse(l) as { revokedAt: string | null });
      return rows.length === 2 && rows.every((r) => r.revokedAt !== null) ? true : undefined;
    });
    writeFileSync(join(ws.catalogDir, 'delta.yaml'), agentYaml('delta', 'description: a different agent\n'));
    await waitFor(async () => {
      const r = await fetch(`${gw.url}/admin/agents/delta`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
      return r.status === 200 ? true : undefined;
    });
    expect((await whoami()).status).toBe(401);
    expect((await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${second.key}` } })).status).toBe(401);
    const audit = await cli(ws, ['audit', 'query', '--json', '--agent', 'delta']);
    expect(audit.stdout).toContain(keyId);
    expect(audit.stdout).toContain(second.keyId);
    expect(audit.stdout).toContain('agent removed from the catalog');
  });

  it('rejects the reload when a symlinked agent file loses its target (an unmounted volume): the agent and its keys stay', async () => {
    const ws = makeWorkspace({ catalogFrom: null, config: 'keys: { revokeRemovedAgentKeysAfterMs: 300 }\n' });
    const vol = join(ws.dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'echo.yaml'), agentYaml('echo'));
    symlinkSync(join(vol, 'echo.yaml'), join(ws.catalogDir, 'echo.yaml'));
    const gw = await startGateway(ws);
    track(ws, gw);
    const { key, keyId } = await createKey(ws, 'echo');
    const admin = (p: string) => fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect((await whoami()).status).toBe(200);

    renameSync(vol, join(ws.dir, 'vol.unmounted'));
    // No watch event fires in the catalog folder: the periodic rescan (5 s) finds it.
    const status = await waitFor(async () => {
      const s = (await (await admin('/admin/catalog')).json()) as { lastRejection: { issues: Array<{ file: string; message: string }> } | null; agents: number };
      return s.lastRejection ? s : undefined;
    }, 15_000);
    expect(status.lastRejection!.issues).toEqual([expect.objectContaining({ file: join(ws.catalogDir, 'echo.yaml'), message: expect.stringContaining('symlink target is missing') })]);
    expect(status.agents).toBe(1);
    // Past the grace period: the agent was never removed, so its key was not revoked.
    await new Promise((r) => setTimeout(r, 800));
    expect((await admin('/admin/agents/echo')).status).toBe(200);
    expect((await whoami()).status).toBe(200);
    const keys = await cli(ws, ['agents', 'keys', 'list', 'echo', '--json']);
    expect(JSON.parse(keys.stdout.trim()) as { keyId: string; revokedAt: string | null }).toMatchObject({ keyId, revokedAt: null });

    renameSync(join(ws.dir, 'vol.unmounted'), vol);
    await waitFor(async () => ((await (await admin('/admin/catalog')).json()) as { lastRejection: unknown }).lastRejection === null || undefined, 15_000);
    expect((await whoami()).status).toBe(200);
  });

  it('revokes after a restart the keys of an agent seen leaving within the grace period before it, unless it comes back, and leaves those of one absent at start', async () => {
    const ws = makeWorkspace({ catalogFrom: null, config: 'keys: { revokeRemovedAgentKeysAfterMs: 8000 }\n' });
    for (const id of ['echo', 'foxtrot', 'golf']) writeFileSync(join(ws.catalogDir, `${id}.yaml`), agentYaml(id));
    const first = await startGateway(ws);
    track(ws, first);
    const gone = await createKey(ws, 'echo');
    const back = await createKey(ws, 'foxtrot');
    const absent = await createKey(ws, 'golf');
    const adminOf = (gw: RunningGateway) => (p: string) => fetch(`${gw.url}${p}`, { headers: { authorization: `Bearer ${gw.adminToken}` } });
    rmSync(join(ws.catalogDir, 'echo.yaml'));
    rmSync(join(ws.catalogDir, 'foxtrot.yaml'));
    await waitFor(async () => ((await adminOf(first)('/admin/agents/foxtrot')).status === 404 && (await adminOf(first)('/admin/agents/echo')).status === 404) || undefined);
    const seenGone = Date.now();
    // Restarted well inside the grace period: the first process's timers die with it.
    await first.stop();
    // Removed while no gateway ran: nobody saw it leave (the folder may be the wrong one), so its key stays.
    rmSync(join(ws.catalogDir, 'golf.yaml'));
    const restartedAt = Date.now();
    const gw = await startGateway(ws);
    cleanups.push(async () => void (await gw.stop()));
    const keyRow = async (agent: string) =>
      JSON.parse((await cli(ws, ['agents', 'keys', 'list', agent, '--json'])).stdout.trim()) as { keyId: string; revokedAt: string | null };
    // Still inside the period that began at the removal (unless the restart itself took that long on a loaded machine).
    if (Date.now() - seenGone < 7000) expect(await keyRow('echo')).toMatchObject({ keyId: gone.keyId, revokedAt: null });
    writeFileSync(join(ws.catalogDir, 'foxtrot.yaml'), agentYaml('foxtrot'));
    await waitFor(async () => ((await adminOf(gw)('/admin/agents/foxtrot')).status === 200) || undefined);
    await waitFor(async () => ((await keyRow('echo')).revokedAt !== null) || undefined, 15_000);
    const audit = await cli(ws, ['audit', 'query', '--json', '--agent', 'echo']);
    expect(audit.stdout).toContain('agent removed from the catalog');
    // Back before the grace period ran out: keeps its key.
    await new Promise((r) => setTimeout(r, 500));
    expect((await keyRow('foxtrot')).revokedAt).toBeNull();
    // A full grace period after start-up: still there.
    await new Promise((r) => setTimeout(r, Math.max(0, restartedAt + 9000 - Date.now())));
    expect(await keyRow('golf')).toMatchObject({ keyId: absent.keyId, revokedAt: null });
    expect((await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${back.key}` } })).status).toBe(200);
  }, 60_000);

  it('does not revoke the keys of an agent that comes back while its revocation waits for a locked state database', async () => {
    const ws = makeWorkspace({ catalogFrom: null, config: 'keys: { revokeRemovedAgentKeysAfterMs: 500 }\n' });
    writeFileSync(join(ws.catalogDir, 'hotel.yaml'), agentYaml('hotel'));
    const gw = await startGateway(ws);
    track(ws, gw);
    const { key } = await createKey(ws, 'hotel');
    const whoami = () => fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
    expect((await whoami()).status).toBe(200);
    // Another process (a CLI, a backup) holds the state database's write lock throughout.
    const other = new Database(join(ws.dataDir, 'state.db'));
    other.exec('BEGIN IMMEDIATE');
    try {
      rmSync(join(ws.catalogDir, 'hotel.yaml'));
      await waitFor(async () => ((await whoami()).status === 401) || undefined);
      // Past the grace period the revocation is retrying against the lock; the agent comes back.
      await new Promise((r) => setTimeout(r, 1000));
      writeFileSync(join(ws.catalogDir, 'hotel.yaml'), agentYaml('hotel'));
      await waitFor(async () => ((await whoami()).status === 200) || undefined);
    } finally {
      other.exec('COMMIT');
      other.close();
    }
    // The retry that now gets the lock finds the agent back and revokes nothing.
    await new Promise((r) => setTimeout(r, 1500));
    expect((await whoami()).status).toBe(200);
    expect((await cli(ws, ['audit', 'query', '--json', '--agent', 'hotel'])).stdout).not.toContain('agent removed from the catalog');
  }, 60_000);

  it('explains a busy port instead of printing a stack trace', async () => {
    const ws = makeWorkspace();
    const gw = await startGateway(ws);
    track(ws, gw);
    const r = spawnSync(process.execPath, [CLI, 'start', '--config', ws.config, '--port', String(gw.port)], { cwd: ws.dir, encoding: 'utf8', timeout: 20_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('already in use');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('serves each request one consistent version of an agent while its file is rewritten under load', async () => {
    const ws = makeWorkspace({ catalogFrom: null });
    writeFileSync(join(ws.catalogDir, 'gamma.yaml'), agentYaml('gamma', 'tags: [v0]\n'));
    const gw = await startGateway(ws);
    track(ws, gw);
    const { key } = await createKey(ws, 'gamma');
    let stop = false;
    const seen = new Set<string>();
    const poller = (async () => {
      while (!stop) {
        const r = await fetch(`${gw.url}/v1/whoami`, { headers: { authorization: `Bearer ${key}` } });
        expect(r.status).toBe(200);
        const b = (await r.json()) as { agent: { tags: string[]; description: string } };
        // tags and description are always written together: a mix would show a mismatch.
        const v = b.agent.tags[0] ?? 'v0';
        if (v !== 'v0') expect(b.agent.description).toBe(`version ${v}`);
        seen.add(v);
      }
    })();
    for (let i = 1; i <= 8; i++) {
      writeFileSync(join(ws.catalogDir, 'gamma.yaml'), agentYaml('gamma', `tags: [v${i}]\ndescription: version v${i}\n`));
      await new Promise((r) => setTimeout(r, 250));
    }
    await new Promise((r) => setTimeout(r, 500));
    stop = true;
    await poller;
    expect(seen.has('v8')).toBe(true);
  });
});

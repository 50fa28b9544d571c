import { mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, type ConfigIssue } from '../config/issues.js';
import { minimalAgent, writeAgentFile } from '../../test/helpers/catalog-fixtures.js';
import { CatalogStore, type Catalog, type CatalogDiff, type CatalogStoreOptions } from './index.js';

let dir: string;
let store: CatalogStore | null = null;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-store-'));
});
afterEach(async () => {
  await store?.close();
  store = null;
  await rm(dir, { recursive: true, force: true });
});

/** Opens a store that records every callback. */
async function openRecording(opts: CatalogStoreOptions = {}) {
  const reloads: Array<{ catalog: Catalog; diff: CatalogDiff; currentDuringCallback: Catalog }> = [];
  const rejections: ConfigIssue[][] = [];
  const errors: unknown[] = [];
  const s = await CatalogStore.open(dir, {
    debounceMs: 30,
    rescanIntervalMs: 0,
    onReload: (catalog, diff) => {
      reloads.push({ catalog, diff, currentDuringCallback: s.current() });
    },
    onRejected: (issues) => {
      rejections.push(issues);
    },
    onError: (err) => errors.push(err),
    ...opts,
  });
  store = s;
  return { store: s, reloads, rejections, errors };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

const describeAs = (id: string, description: string) => writeAgentFile(dir, minimalAgent(id, { description }));

describe('CatalogStore.open', () => {
  it('loads the catalog as version 1', async () => {
    await writeAgentFile(dir, minimalAgent('alpha'));
    const { store: s } = await openRecording();
    expect(s.current().version).toBe(1);
    expect([...s.current().agents.keys()]).toEqual(['alpha']);
  });

  it('throws a ConfigError listing the problems of every file', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { colour: 'red' }));
    await writeAgentFile(dir, minimalAgent('beta', { status: 'paused' }));
    const err = await CatalogStore.open(dir).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const issues = (err as ConfigError).issues;
    expect(issues.map((i) => [i.file.slice(dir.length + 1), i.path])).toEqual([
      ['alpha.yaml', 'colour'],
      ['beta.yaml', 'status'],
    ]);
  });

  it('throws a ConfigError for a missing folder', async () => {
    await expect(CatalogStore.open(join(dir, 'missing'))).rejects.toThrow(/catalog folder not found/);
  });

  it('exposes the warnings of the current catalog', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { dataExposure: {} }));
    const { store: s } = await openRecording();
    expect(s.warnings.map((w) => w.path)).toEqual(['dataExposure']);
  });
});

describe('CatalogStore.reload', () => {
  it('applies a valid change: swaps first, then reports the diff', async () => {
    await describeAs('alpha', 'one');
    await writeAgentFile(dir, minimalAgent('beta'));
    const { store: s, reloads } = await openRecording();
    await describeAs('alpha', 'two');
    await unlink(join(dir, 'beta.yaml'));
    await writeAgentFile(dir, minimalAgent('gamma'));
    const outcome = await s.reload();
    expect(outcome.status).toBe('applied');
    expect(reloads).toHaveLength(1);
    expect(reloads[0]?.diff).toEqual({ added: ['gamma'], removed: ['beta'], changed: ['alpha'] });
    expect(reloads[0]?.catalog.version).toBe(2);
    expect(reloads[0]?.currentDuringCallback).toBe(reloads[0]?.catalog);
    expect(s.current().agents.get('alpha')?.description).toBe('two');
  });

  it('treats identical content as a no-op', async () => {
    await writeFile(join(dir, 'alpha.yaml'), 'schemaVersion: 1\nid: alpha\ndisplayName: A\nowner: o\n');
    const { store: s, reloads } = await openRecording();
    const before = s.current();
    await writeFile(join(dir, 'alpha.yaml'), '# only a comment changed\nschemaVersion: 1\nid: alpha\ndisplayName: A\nowner: o\n');
    expect(await s.reload()).toEqual({ status: 'unchanged' });
    expect(s.current()).toBe(before);
    expect(reloads).toHaveLength(0);
  });

  it('rejects a bad edit, keeps serving the old catalog, and applies the fix', async () => {
    await describeAs('alpha', 'good');
    const { store: s, reloads, rejections } = await openRecording();
    const good = s.current();
    await writeAgentFile(dir, minimalAgent('alpha', { description: 'bad', tools: { alow: ['*'] } }));
    const outcome = await s.reload();
    expect(outcome.status).toBe('rejected');
    expect(rejections).toHaveLength(1);
    expect(rejections[0]?.map((i) => i.path)).toEqual(['tools.allow', 'tools.alow']);
    expect(s.current()).toBe(good);
    // The same broken content again is not reported twice.
    await s.reload();
    expect(rejections).toHaveLength(1);
    await describeAs('alpha', 'fixed');
    expect((await s.reload()).status).toBe('applied');
    expect(s.current().agents.get('alpha')?.description).toBe('fixed');
    expect(s.current().version).toBe(2);
    expect(reloads).toHaveLength(1);
  });

  it('says so when a bad edit is undone, though nothing new is served', async () => {
    await describeAs('alpha', 'good');
    let recovered = 0;
    const { store: s, reloads } = await openRecording({ onRecovered: () => void recovered++ });
    await writeAgentFile(dir, minimalAgent('alpha', { description: 'bad', tools: { alow: ['*'] } }));
    expect((await s.reload()).status).toBe('rejected');
    await describeAs('alpha', 'good');
    expect(await s.reload()).toEqual({ status: 'unchanged' });
    expect(recovered).toBe(1);
    expect(await s.reload()).toEqual({ status: 'unchanged' });
    expect(recovered).toBe(1); // once per recovery
    expect(reloads).toHaveLength(0);
  });

  it('never runs two reloads at once: calls during a reload share one follow-up', async () => {
    await describeAs('alpha', 'v0');
    const { store: s } = await openRecording();
    await describeAs('alpha', 'v1');
    const first = s.reload();
    const second = s.reload();
    const third = s.reload();
    expect(second).toBe(third);
    expect(second).not.toBe(first);
    expect((await first).status).toBe('applied');
    expect((await second).status).toBe('unchanged');
  });

  it('reports a throwing callback through onError and keeps working', async () => {
    await describeAs('alpha', 'v0');
    const errors: unknown[] = [];
    const s = await CatalogStore.open(dir, {
      onReload: () => {
        throw new Error('audit down');
      },
      onError: (e) => errors.push(e),
    });
    store = s;
    await describeAs('alpha', 'v1');
    expect((await s.reload()).status).toBe('applied');
    expect(errors).toEqual([new Error('audit down')]);
    expect(s.current().agents.get('alpha')?.description).toBe('v1');
  });
});

describe('CatalogStore.watch', () => {
  it('applies an edit, an added file and a deleted file', async () => {
    await describeAs('alpha', 'v0');
    await writeAgentFile(dir, minimalAgent('beta'));
    const { store: s, reloads } = await openRecording();
    s.watch();
    await describeAs('alpha', 'v1');
    await waitFor('the edit', () => s.current().agents.get('alpha')?.description === 'v1');
    await writeAgentFile(dir, minimalAgent('gamma'));
    await waitFor('the new agent', () => s.current().agents.has('gamma'));
    await unlink(join(dir, 'beta.yaml'));
    await waitFor('the deletion', () => !s.current().agents.has('beta'));
    expect(reloads.map((r) => r.diff)).toEqual([
      { added: [], removed: [], changed: ['alpha'] },
      { added: ['gamma'], removed: [], changed: [] },
      { added: [], removed: ['beta'], changed: [] },
    ]);
  });

  it('rejects a bad edit through onRejected, keeps the old catalog, then applies the fix', async () => {
    await describeAs('alpha', 'good');
    const { store: s, rejections } = await openRecording();
    s.watch();
    const good = s.current();
    await writeFile(join(dir, 'alpha.yaml'), 'schemaVersion: 1\nid: alpha\ndisplayName: [unclosed\n');
    await waitFor('the rejection', () => rejections.length > 0);
    expect(rejections.at(-1)?.[0]?.file).toBe(join(dir, 'alpha.yaml'));
    expect(s.current()).toBe(good);
    await describeAs('alpha', 'fixed');
    await waitFor('the fix', () => s.current().agents.get('alpha')?.description === 'fixed');
  });

  it('coalesces a burst of writes into few reloads', async () => {
    await describeAs('alpha', 'v0');
    const { store: s, reloads } = await openRecording({ debounceMs: 100 });
    s.watch();
    for (let i = 1; i <= 20; i++) await describeAs('alpha', `v${i}`);
    await waitFor('the last write', () => s.current().agents.get('alpha')?.description === 'v20');
    await sleep(250);
    expect(reloads.length).toBeLessThan(5);
  });

  it('falls back to the periodic rescan when fs.watch is off', async () => {
    await describeAs('alpha', 'v0');
    const { store: s } = await openRecording({ fsWatch: false, rescanIntervalMs: 100 });
    s.watch();
    await describeAs('alpha', 'changed by rescan');
    await waitFor('the rescan', () => s.current().agents.get('alpha')?.description === 'changed by rescan');
  });

  it('picks up a rotated secret file through the rescan', async () => {
    const secrets = await mkdtemp(join(tmpdir(), 'warden-secret-'));
    try {
      const tokenFile = join(secrets, 'token');
      await writeFile(tokenFile, 'first-token');
      await writeAgentFile(dir, minimalAgent('alpha', { a2a: { endpoint: { url: 'https://a.example.com', credential: { file: tokenFile } } } }));
      const { store: s, reloads } = await openRecording({ fsWatch: false, rescanIntervalMs: 100 });
      s.watch();
      await writeFile(tokenFile, 'second-token-longer');
      const secret = () => s.current().agents.get('alpha')?.secrets.get('a2a.endpoint.credential')?.reveal();
      await waitFor('the rotated secret', () => secret() === 'second-token-longer');
      expect(reloads.at(-1)?.diff).toEqual({ added: [], removed: [], changed: ['alpha'] });
    } finally {
      await rm(secrets, { recursive: true, force: true });
    }
  });

  it('keeps serving when the folder disappears, and recovers when it comes back', async () => {
    await describeAs('alpha', 'v0');
    const { store: s, rejections } = await openRecording({ rescanIntervalMs: 100 });
    s.watch();
    const before = s.current();
    await rm(dir, { recursive: true, force: true });
    await waitFor('the rejection', () => rejections.some((r) => r[0]?.message === 'catalog folder not found'));
    expect(s.current()).toBe(before);
    await mkdir(dir);
    await describeAs('alpha', 'v1');
    await waitFor('the recovery', () => s.current().agents.get('alpha')?.description === 'v1');
    // The renewed watcher sees later edits.
    await describeAs('alpha', 'v2');
    await waitFor('a later edit', () => s.current().agents.get('alpha')?.description === 'v2');
  });

  it('stops reloading after close()', async () => {
    await describeAs('alpha', 'v0');
    const { store: s } = await openRecording({ rescanIntervalMs: 50 });
    s.watch();
    await s.close();
    await describeAs('alpha', 'v1');
    await sleep(300);
    expect(s.current().agents.get('alpha')?.description).toBe('v0');
  });

  it('only ever serves fully valid catalogs while the folder is being rewritten', async () => {
    const ids = ['a1', 'a2', 'a3', 'a4', 'a5'];
    for (const id of ids) await describeAs(id, 'gen-0');
    const { store: s, rejections } = await openRecording({ debounceMs: 20, rescanIntervalMs: 200 });
    s.watch();

    let stop = false;
    let observed = 0;
    let lastVersion = 0;
    const versions = new Set<number>();
    const problems: string[] = [];
    const reader = (async () => {
      while (!stop) {
        const c = s.current(); // a request grabs the reference once
        observed++;
        versions.add(c.version);
        if (c.version < lastVersion) problems.push(`version went back from ${lastVersion} to ${c.version}`);
        lastVersion = c.version;
        if (!Object.isFrozen(c)) problems.push(`catalog v${c.version} not frozen`);
        if (c.agents.size !== ids.length) problems.push(`catalog v${c.version} has ${c.agents.size} agents`);
        for (const a of c.agents.values()) {
          if (!/^gen-\d+$/.test(a.description ?? '')) problems.push(`agent ${a.id} in v${c.version} has description ${a.description}`);
          if (!Object.isFrozen(a)) problems.push(`agent ${a.id} in v${c.version} not frozen`);
        }
        await new Promise((r) => setImmediate(r));
      }
    })();

    const generations = 30;
    for (let gen = 1; gen <= generations; gen++) {
      // Plain writeFile truncates then writes, so a reload can catch a half-written file.
      for (const id of ids) await describeAs(id, `gen-${gen}`);
      if (gen % 6 === 0) {
        await writeFile(join(dir, 'a3.yaml'), 'schemaVersion: 1\nid: a3\ndisplayName: [broken\n');
        await sleep(150); // well past the debounce, so a reload sees the broken state
        await describeAs('a3', `gen-${gen}`);
      }
      await sleep(Math.floor(Math.random() * 15));
    }
    await waitFor('the final generation', () => [...s.current().agents.values()].every((a) => a.description === `gen-${generations}`));
    stop = true;
    await reader;

    expect(problems).toEqual([]);
    expect(versions.size).toBeGreaterThan(1);
    expect(rejections.length).toBeGreaterThan(0);
    console.log(`atomic swap: ${observed} reads saw ${versions.size} catalog versions; ${rejections.length} bad states rejected`);
  });
});

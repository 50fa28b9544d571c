import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConfigIssue } from '../config/issues.js';
import { Secret } from '../config/secret-ref.js';
import { minimalAgent, writeAgentFile } from '../../test/helpers/catalog-fixtures.js';
import { ENFORCED_SECTIONS, NOT_ENFORCED_MESSAGE, POLICY_SECTIONS, loadCatalog, type LoadCatalogResult } from './index.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-catalog-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const EXAMPLES = resolve(import.meta.dirname, '../../agents-catalog');

function issuesOf(result: LoadCatalogResult): ConfigIssue[] {
  if (result.ok) throw new Error(`expected issues, catalog loaded with ${result.catalog.agents.size} agents`);
  return result.issues;
}

function catalogOf(result: LoadCatalogResult) {
  if (!result.ok) throw new Error(`expected a catalog, got:\n${result.issues.map((i) => `${i.file} ${i.path} ${i.message}`).join('\n')}`);
  return result;
}

/** Issues as `file-name path: message` lines, easy to assert on. */
const lines = (issues: ConfigIssue[]) => issues.map((i) => `${i.file.slice(dir.length + 1)} ${i.path}: ${i.message}`);

async function writeRaw(name: string, text: string): Promise<void> {
  await writeFile(join(dir, name), text, 'utf8');
}

describe('loadCatalog: the example catalog', () => {
  it('loads the shipped examples with no environment variables set', async () => {
    const { catalog } = catalogOf(await loadCatalog(EXAMPLES, { env: {} }));
    expect([...catalog.agents.keys()]).toEqual(['code-reviewer', 'finance-analyst', 'support-triage']);
    for (const agent of catalog.agents.values()) expect(agent.status).toBe('active');
  });

  it('uses every policy section across the examples', async () => {
    const { catalog } = catalogOf(await loadCatalog(EXAMPLES, { env: {} }));
    const used = new Set(POLICY_SECTIONS.filter((s) => [...catalog.agents.values()].some((a) => a[s] !== undefined)));
    expect([...used]).toEqual([...POLICY_SECTIONS]);
  });
});

describe('loadCatalog: valid catalogs', () => {
  it('treats an empty folder as a valid empty catalog', async () => {
    const { catalog, warnings } = catalogOf(await loadCatalog(dir));
    expect(catalog.agents.size).toBe(0);
    expect(catalog.files).toEqual([]);
    expect(warnings).toEqual([]);
  });

  it('applies defaults and records the file of each agent', async () => {
    const file = await writeAgentFile(dir, minimalAgent('alpha'));
    const { catalog } = catalogOf(await loadCatalog(dir, { version: 7, now: () => 1234 }));
    const alpha = catalog.agents.get('alpha');
    expect(alpha).toMatchObject({ id: 'alpha', status: 'active', tags: [], file });
    expect(catalog).toMatchObject({ version: 7, loadedAt: 1234, files: [file] });
    expect(catalog.digest).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts .yml as well as .yaml', async () => {
    await writeAgentFile(dir, minimalAgent('beta'), 'beta.yml');
    expect(catalogOf(await loadCatalog(dir)).catalog.agents.has('beta')).toBe(true);
  });

  it('ignores other files, hidden files, editor temp files and folders', async () => {
    await writeAgentFile(dir, minimalAgent('alpha'));
    for (const name of ['README.md', 'notes.txt', '.alpha.yaml.swp', '.hidden.yaml', 'alpha.yaml~', '#alpha.yaml#', 'alpha.yaml.tmp', 'alpha.json']) {
      await writeRaw(name, 'this: [is not valid');
    }
    await mkdir(join(dir, 'sub.yaml'));
    const { catalog } = catalogOf(await loadCatalog(dir));
    expect([...catalog.agents.keys()]).toEqual(['alpha']);
  });

  it('follows symlinked agent files (as in Kubernetes ConfigMap mounts)', async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), 'warden-catalog-src-'));
    try {
      const target = await writeAgentFile(elsewhere, minimalAgent('linked'));
      await symlink(target, join(dir, 'linked.yaml'));
      expect(catalogOf(await loadCatalog(dir)).catalog.agents.has('linked')).toBe(true);
    } finally {
      await rm(elsewhere, { recursive: true, force: true });
    }
  });

  it('rejects a symlinked agent file whose target is missing or not a file, instead of dropping the agent', async () => {
    await writeAgentFile(dir, minimalAgent('alpha'));
    await symlink(join(dir, 'no-such-volume', 'gone.yaml'), join(dir, 'gone.yaml'));
    await mkdir(join(dir, 'folder-target'));
    await symlink(join(dir, 'folder-target'), join(dir, 'folder.yaml'));
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([
      'folder.yaml (file): symlink target is not a regular file',
      'gone.yaml (file): the file or its symlink target is missing (ENOENT)',
    ]);
  });

  it('gives the same digest for the same content whatever the key order and comments', async () => {
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\ndisplayName: A\nowner: o\n');
    const first = catalogOf(await loadCatalog(dir)).catalog.digest;
    await writeRaw('alpha.yaml', '# a comment\nowner: o\ndisplayName: A\nid: alpha\nschemaVersion: 1\nstatus: active\n');
    expect(catalogOf(await loadCatalog(dir)).catalog.digest).toBe(first);
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\ndisplayName: B\nowner: o\n');
    expect(catalogOf(await loadCatalog(dir)).catalog.digest).not.toBe(first);
  });

  it('deep-freezes the catalog, its agents and its maps', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { tags: ['x'], tools: { allow: ['kb_*'] } }));
    const { catalog } = catalogOf(await loadCatalog(dir));
    const alpha = catalog.agents.get('alpha');
    expect(Object.isFrozen(catalog)).toBe(true);
    expect(Object.isFrozen(catalog.files)).toBe(true);
    expect(Object.isFrozen(alpha)).toBe(true);
    expect(Object.isFrozen(alpha?.tags)).toBe(true);
    expect(Object.isFrozen(alpha?.tools?.allow)).toBe(true);
    expect(() => (catalog.agents as Map<string, unknown>).set('x', {})).toThrow(TypeError);
    expect(() => (catalog.agents as Map<string, unknown>).delete('alpha')).toThrow(TypeError);
    expect(() => (alpha?.secrets as Map<string, unknown>).clear()).toThrow(TypeError);
  });
});

describe('loadCatalog: warnings', () => {
  it('warns once per agent per declared section that is not enforced yet', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { tools: { allow: ['*'] }, a2a: {} }));
    await writeAgentFile(dir, minimalAgent('beta', { dataExposure: {} }));
    const { warnings } = catalogOf(await loadCatalog(dir));
    expect(lines(warnings).sort()).toEqual([
      `alpha.yaml a2a: ${NOT_ENFORCED_MESSAGE}`,
      `beta.yaml dataExposure: ${NOT_ENFORCED_MESSAGE}`,
    ]);
  });

  it('does not warn about sections the gateway enforces', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { tools: { allow: ['*'] }, models: { allow: ['*'] } }));
    expect(ENFORCED_SECTIONS.has('tools')).toBe(true);
    const { warnings } = catalogOf(await loadCatalog(dir, { enforced: new Set(['tools', 'models']) }));
    expect(warnings).toEqual([]);
  });

  it('warns (without failing) about A2A references to agents that are not in the catalog', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { a2a: { canCall: ['ghost', 'beta', 'team-*'] } }));
    await writeAgentFile(dir, minimalAgent('beta'));
    const { warnings } = catalogOf(await loadCatalog(dir, { enforced: new Set(POLICY_SECTIONS) }));
    expect(lines(warnings)).toEqual(['alpha.yaml a2a.canCall[0]: no agent "ghost" in the catalog']);
  });
});

describe('loadCatalog: every problem in every file at once', () => {
  it('reports a missing folder', async () => {
    const missing = join(dir, 'nope');
    expect(issuesOf(await loadCatalog(missing))).toEqual([{ file: missing, path: '(folder)', message: 'catalog folder not found' }]);
  });

  it('reports YAML syntax errors with line and column', async () => {
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\ntags: [a, b\ndisplayName: A\n');
    const issues = issuesOf(await loadCatalog(dir));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues[0]?.file).toBe(join(dir, 'alpha.yaml'));
    expect(issues[0]?.path).toMatch(/^line \d+, column \d+$/);
  });

  it('reports a file holding more than one YAML document', async () => {
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\n---\nid: beta\n');
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([expect.stringMatching(/^alpha\.yaml line 3, column 1: one YAML document per file/)]);
  });

  it('reports duplicate YAML keys with their position', async () => {
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\ndisplayName: A\nowner: o\nowner: p\n');
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual(['alpha.yaml line 5, column 1: Map keys must be unique']);
  });

  it('reports each unknown key with its path and line, at any depth', async () => {
    await writeRaw(
      'alpha.yaml',
      ['schemaVersion: 1', 'id: alpha', 'displayName: A', 'owner: o', 'colour: red', 'tools:', '  allow: ["*"]', '  alow: [x]', 'loops:', '  repetition: { treshold: 3 }', ''].join('\n'),
    );
    expect(lines(issuesOf(await loadCatalog(dir))).sort()).toEqual([
      'alpha.yaml colour: unknown key "colour" (line 5, column 1)',
      'alpha.yaml loops.repetition.treshold: unknown key "treshold" (line 10, column 17)',
      'alpha.yaml tools.alow: unknown key "alow" (line 8, column 3)',
    ]);
  });

  it('reports wrong types and missing required fields', async () => {
    await writeAgentFile(dir, { schemaVersion: 1, id: 'alpha', displayName: 42, tags: 'x', rateLimits: { concurrent: -1 } });
    const report = lines(issuesOf(await loadCatalog(dir)));
    expect(report).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^alpha\.yaml displayName: .*expected string.*\(line 3/),
        expect.stringMatching(/^alpha\.yaml owner: required \(string missing\)/),
        expect.stringMatching(/^alpha\.yaml tags: .*expected array/),
        expect.stringMatching(/^alpha\.yaml rateLimits\.concurrent: .*>0/),
      ]),
    );
    expect(report).toHaveLength(4);
  });

  it('names an invalid key of a name-to-limits map and says what is wrong with it', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { rateLimits: { perTool: { 'kb search': { concurrent: 1 } } } }));
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([
      expect.stringMatching(/^alpha\.yaml rateLimits\.perTool\.kb search: invalid name "kb search": must be a tool name or glob.*\(line \d+, column \d+\)$/),
    ]);
  });

  it('reports an unsupported schemaVersion alone instead of a flood of follow-on errors', async () => {
    await writeAgentFile(dir, { schemaVersion: 2, id: 'alpha', brandNewField: true });
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual(['alpha.yaml schemaVersion: unsupported schemaVersion 2; this gateway reads schemaVersion 1']);
  });

  it('reports a missing schemaVersion', async () => {
    await writeAgentFile(dir, { id: 'alpha', displayName: 'A', owner: 'o' });
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual(['alpha.yaml schemaVersion: required: add "schemaVersion: 1"']);
  });

  it('reports empty files and files that are not a mapping', async () => {
    await writeRaw('alpha.yaml', '# nothing yet\n');
    await writeRaw('beta.yaml', '- id: beta\n');
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([
      'alpha.yaml (root): file is empty; expected an agent definition (schemaVersion, id, displayName, owner)',
      'beta.yaml (root): expected a mapping of fields (schemaVersion, id, displayName, owner, ...)',
    ]);
  });

  it('requires the file to be named after the agent id', async () => {
    await writeAgentFile(dir, minimalAgent('alpha'), 'alfa.yaml');
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([
      'alfa.yaml id: id "alpha" does not match the file name alfa.yaml; rename the file to alpha.yaml or change the id',
    ]);
  });

  it('reports an id that is not a lowercase slug', async () => {
    await writeAgentFile(dir, minimalAgent('Alpha_1'));
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([expect.stringMatching(/^Alpha_1\.yaml id: must be a lowercase slug/)]);
  });

  it('reports duplicate agent ids naming both files', async () => {
    await writeAgentFile(dir, minimalAgent('alpha'), 'alpha.yaml');
    await writeAgentFile(dir, minimalAgent('alpha'), 'alpha.yml');
    const issues = issuesOf(await loadCatalog(dir));
    expect(issues.map((i) => i.file)).toEqual([join(dir, 'alpha.yaml'), join(dir, 'alpha.yml')]);
    for (const i of issues) {
      expect(i.path).toBe('id');
      expect(i.message).toContain('alpha.yaml and alpha.yml claim the same agent');
    }
  });

  it('reports unset environment variables and unreadable secret files', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { a2a: { endpoint: { url: 'https://a.example.com/a2a', credential: { env: 'WARDEN_TEST_UNSET_VAR' } } } }));
    await writeAgentFile(dir, minimalAgent('beta', { a2a: { endpoint: { url: 'https://b.example.com/a2a', credential: { file: 'secrets/beta-token' } } } }));
    expect(lines(issuesOf(await loadCatalog(dir, { env: {} })))).toEqual([
      'alpha.yaml a2a.endpoint.credential: environment variable WARDEN_TEST_UNSET_VAR is not set',
      'beta.yaml a2a.endpoint.credential: secret file secrets/beta-token cannot be read (ENOENT)',
    ]);
  });

  it('reports problems in several files in one report', async () => {
    await writeRaw('alpha.yaml', 'schemaVersion: 1\nid: alpha\nid: again\n');
    await writeAgentFile(dir, minimalAgent('beta', { status: 'paused' }));
    await writeAgentFile(dir, minimalAgent('gamma'), 'gamma-old.yaml');
    await writeAgentFile(dir, minimalAgent('delta')); // valid: must not appear
    const files = new Set(issuesOf(await loadCatalog(dir)).map((i) => i.file.slice(dir.length + 1)));
    expect([...files]).toEqual(['alpha.yaml', 'beta.yaml', 'gamma-old.yaml']);
  });

  it('rejects files larger than the limit without parsing them', async () => {
    await writeRaw('alpha.yaml', `schemaVersion: 1\ndescription: "${'x'.repeat(1024 * 1024)}"\n`);
    expect(lines(issuesOf(await loadCatalog(dir)))).toEqual([expect.stringMatching(/^alpha\.yaml \(file\): file is \d+ bytes/)]);
  });
});

describe('loadCatalog: secrets', () => {
  it('resolves secret references, relative files against the catalog folder', async () => {
    await mkdir(join(dir, 'secrets'));
    await writeFile(join(dir, 'secrets', 'beta-token'), 'file-secret-value\n');
    await writeAgentFile(dir, minimalAgent('alpha', { a2a: { endpoint: { url: 'https://a.example.com', credential: { env: 'ALPHA_TOKEN' } } } }));
    await writeAgentFile(dir, minimalAgent('beta', { a2a: { endpoint: { url: 'https://b.example.com', credential: { file: 'secrets/beta-token' } } } }));
    const { catalog } = catalogOf(await loadCatalog(dir, { env: { ALPHA_TOKEN: 'env-secret-value' } }));
    const alpha = catalog.agents.get('alpha')?.secrets.get('a2a.endpoint.credential');
    const beta = catalog.agents.get('beta')?.secrets.get('a2a.endpoint.credential');
    expect(alpha).toBeInstanceOf(Secret);
    expect(alpha?.reveal()).toBe('env-secret-value');
    expect(beta?.reveal()).toBe('file-secret-value');
    // The file keeps the reference, never the value.
    expect(catalog.agents.get('alpha')?.a2a?.endpoint?.credential).toEqual({ env: 'ALPHA_TOKEN' });
  });

  it('never shows a secret value in JSON.stringify or util.inspect of the catalog', async () => {
    await writeAgentFile(dir, minimalAgent('alpha', { a2a: { endpoint: { url: 'https://a.example.com', credential: { env: 'ALPHA_TOKEN' } } } }));
    const { catalog } = catalogOf(await loadCatalog(dir, { env: { ALPHA_TOKEN: 'sk-very-secret-123' } }));
    const agent = catalog.agents.get('alpha');
    const renderings = [
      JSON.stringify(catalog),
      JSON.stringify(agent),
      JSON.stringify([...catalog.agents.values()]),
      JSON.stringify(Object.fromEntries(agent?.secrets ?? [])),
      inspect(catalog, { depth: Infinity, showHidden: true }),
      inspect(agent, { depth: Infinity, showHidden: true }),
      String(agent?.secrets.get('a2a.endpoint.credential')),
    ];
    for (const text of renderings) expect(text).not.toContain('sk-very-secret-123');
    expect(inspect(agent, { depth: Infinity })).toContain('[secret]');
  });
});

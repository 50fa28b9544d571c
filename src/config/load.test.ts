import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from './issues.js';
import { loadConfig, parseYaml } from './load.js';

const issuesOf = (text: string) => {
  const r = parseYaml('f.yaml', text);
  return r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`);
};

describe('YAML parsing of configuration and catalog files', () => {
  it('parses plain YAML into data', () => {
    expect(parseYaml('f.yaml', 'a: 1\nb: [x, y]\n')).toEqual({ ok: true, value: { a: 1, b: ['x', 'y'] } });
  });

  it('reports an alias bomb as an issue instead of throwing', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(issuesOf(bomb).join('\n')).toMatch(/alias/i);
  });

  it('refuses absurd nesting before parsing it', () => {
    expect(issuesOf(`tags: ${'['.repeat(5000)}${']'.repeat(5000)}`)).toEqual(['(yaml): nesting deeper than 64 levels']);
  });

  it('refuses a key repeated in one mapping at any depth, with its place, but not the same key in two mappings', () => {
    expect(issuesOf('a:\n  b: 1\n  c: 2\n  b: 3\n')).toEqual(['line 4, column 3: Map keys must be unique']);
    expect(issuesOf('a: {b: 1}\nc: {b: 2}\n')).toEqual([]);
    // The same spelling of another type is another key, as for the parser's own check.
    expect(issuesOf('m:\n  1: x\n  "1": y\n')).toEqual([]);
    // Many keys in one mapping (a large spec's components): still found, and without comparing every pair.
    const many = `big:\n${Array.from({ length: 20_000 }, (_, i) => `  k${i}: ${i}\n`).join('')}  k7: again\n`;
    expect(issuesOf(many)).toEqual(['line 20002, column 3: Map keys must be unique']);
  });

  it('refuses a __proto__ key anywhere', () => {
    expect(issuesOf('rateLimits:\n  perTool:\n    __proto__: { concurrent: 1 }\n')).toEqual(['(yaml): the key "__proto__" is not allowed']);
  });

  it('caps the number and length of messages from a garbage file', () => {
    const garbage = Array.from({ length: 400 }, (_, i) => `${'}'.repeat(i % 7)}: [ "${'x'.repeat(300)}\n- : {`).join('\n');
    const issues = issuesOf(garbage);
    expect(issues.length).toBeLessThanOrEqual(21);
    for (const i of issues) expect(i.length).toBeLessThan(300);
  });
});

describe('loadConfig', () => {
  it('says where in warden.yaml a schema problem is, as it does for catalog files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-config-'));
    try {
      writeFileSync(join(dir, 'warden.yaml'), 'dataDir: ./data\nlisten:\n  host: 127.0.0.1\n  prot: 8080\nlog: { level: loud }\n');
      const err = await loadConfig(undefined, {}, dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const issues = (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
      expect(issues).toContain('listen.prot: unknown key "prot" (line 4, column 3)');
      expect(issues.find((i) => i.startsWith('log.level'))).toMatch(/\(line 5, column 15\)$/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

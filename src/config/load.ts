import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isScalar, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { jsonDepthExceeds } from '../util/json-guard.js';
import { ConfigError, issuesFromZod, type ConfigIssue } from './issues.js';
import { ConfigSchema, type WardenConfig } from './schema.js';
import { addSchemaPositions } from './yaml-location.js';

export interface ConfigOverrides {
  host?: string;
  port?: number;
  dataDir?: string;
  catalogDir?: string;
  importsDir?: string;
}

/** A loaded configuration with every directory made absolute. */
export interface LoadedConfig extends WardenConfig {
  /** The file it came from, or null for the embedded defaults. */
  file: string | null;
  baseDir: string;
}

export const DEFAULT_CONFIG_FILE = 'warden.yaml';

/** Deepest bracket nesting accepted before parsing: deeper YAML is an attack, not configuration. */
const MAX_YAML_DEPTH = 64;
/** Problems reported per file, and characters per message: a random file must not flood logs and the audit. */
const MAX_YAML_ISSUES = 20;
const MAX_MESSAGE = 200;

const clip = (m: string) => {
  // eslint-disable-next-line no-control-regex
  const clean = m.replace(/[\u0000-\u001f\u007f]/g, ' ');
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE)}…` : clean;
};

/**
 * Parses YAML text into plain data, reporting syntax errors, duplicate keys, `__proto__`
 * keys, alias bombs and absurd nesting as issues (never as exceptions).
 */
export function parseYaml(file: string, text: string, maxDepth = MAX_YAML_DEPTH): { ok: true; value: unknown } | { ok: false; issues: ConfigIssue[] } {
  if (jsonDepthExceeds(text, maxDepth)) {
    return { ok: false, issues: [{ file, path: '(yaml)', message: `nesting deeper than ${maxDepth} levels` }] };
  }
  // Repeated keys are found with a set per mapping (keyProblem): the parser's own check
  // compares every key with every earlier one (40,000 keys in one mapping took 20 s, not 0.8).
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: true, merge: false, lineCounter: lines });
  if (doc.errors.length > 0) {
    const issues = doc.errors.slice(0, MAX_YAML_ISSUES).map((e) => ({
      file,
      path: e.linePos?.[0] ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '(yaml)',
      message:
        e.code === 'MULTIPLE_DOCS'
          ? 'one YAML document per file: remove the second "---" document'
          : // prettyErrors appends " at line N, column M:" and a code frame; the path already says where.
            clip((e.message.split('\n')[0] ?? 'YAML syntax error').replace(/ at line \d+, column \d+:?$/, '')),
    }));
    if (doc.errors.length > MAX_YAML_ISSUES) issues.push({ file, path: '(yaml)', message: `${doc.errors.length - MAX_YAML_ISSUES} more problem(s) not shown` });
    return { ok: false, issues };
  }
  const problem = keyProblem(doc);
  if (problem === 'proto') return { ok: false, issues: [{ file, path: '(yaml)', message: 'the key "__proto__" is not allowed' }] };
  if (problem !== null) {
    const { line, col } = lines.linePos(problem);
    return { ok: false, issues: [{ file, path: `line ${line}, column ${col}`, message: 'Map keys must be unique' }] };
  }
  try {
    return { ok: true, value: doc.toJS({ maxAliasCount: 100 }) };
  } catch (err) {
    // Alias bombs ("Excessive alias count") and similar surface here, not in doc.errors.
    return { ok: false, issues: [{ file, path: '(yaml)', message: clip((err as Error).message) }] };
  }
}

/**
 * The first key problem, in one walk: a `__proto__` key ('proto'), or the offset of a key that
 * repeats one before it in its mapping (scalar keys compare by value and type, as the
 * parser's own check does); null when there is none.
 */
function keyProblem(doc: Document): 'proto' | number | null {
  let found: 'proto' | number | null = null;
  visit(doc, {
    Map(_, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        if (!isScalar(pair.key)) continue;
        const v = pair.key.value;
        if (v === '__proto__') found = 'proto';
        else if (seen.has(v)) found = pair.key.range?.[0] ?? 0;
        if (found !== null) return visit.BREAK;
        seen.add(v);
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Loads warden.yaml (if present; `explicitFile` must exist), applies CLI overrides,
 * validates and freezes. Relative directories resolve against the config file's folder
 * (or the working directory for embedded defaults).
 */
export async function loadConfig(explicitFile?: string, overrides: ConfigOverrides = {}, cwd = process.cwd()): Promise<LoadedConfig> {
  let file: string | null = null;
  let raw: unknown = {};
  if (explicitFile !== undefined) {
    file = resolve(cwd, explicitFile);
    if (!existsSync(file)) throw new ConfigError('configuration', [{ file, path: '(file)', message: 'file not found' }]);
  } else if (existsSync(resolve(cwd, DEFAULT_CONFIG_FILE))) {
    file = resolve(cwd, DEFAULT_CONFIG_FILE);
  }
  let text: string | null = null;
  if (file !== null) {
    text = await readFile(file, 'utf8');
    const parsed = parseYaml(file, text);
    if (!parsed.ok) throw new ConfigError('configuration', parsed.issues);
    raw = parsed.value ?? {};
  }
  const result = ConfigSchema.safeParse(raw);
  if (!result.success) {
    const issues = issuesFromZod(file ?? DEFAULT_CONFIG_FILE, result.error);
    throw new ConfigError('configuration', text !== null ? addSchemaPositions(text, result.error, issues) : issues);
  }
  const cfg = result.data;
  const baseDir = file ? dirname(file) : cwd;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const loaded: LoadedConfig = {
    ...cfg,
    listen: { host: overrides.host ?? cfg.listen.host, port: overrides.port ?? cfg.listen.port },
    dataDir: overrides.dataDir ? resolve(cwd, overrides.dataDir) : abs(cfg.dataDir),
    catalogDir: overrides.catalogDir ? resolve(cwd, overrides.catalogDir) : abs(cfg.catalogDir),
    importsDir: overrides.importsDir ? resolve(cwd, overrides.importsDir) : abs(cfg.importsDir),
    audit: { ...cfg.audit, checkpoint: { ...cfg.audit.checkpoint, ...(cfg.audit.checkpoint.file ? { file: abs(cfg.audit.checkpoint.file) } : {}) } },
    file,
    baseDir,
  };
  return deepFreeze(loaded);
}

export function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as Record<string, unknown>)) deepFreeze(v);
  }
  return value;
}

/** Reads, parses and validates one agent file, collecting every problem it has. */
import { lstat, readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { z } from 'zod';
import { issuesFromZod, formatPath, type ConfigIssue } from '../config/issues.js';
import { parseYaml } from '../config/load.js';
import { SecretRefSchema, resolveSecretRef, type Secret, type SecretRef } from '../config/secret-ref.js';
import { AgentSpecSchema, type AgentSpec } from './agent-schema.js';
import { idFromFileName } from './catalog-files.js';
import { addSchemaPositions } from '../config/yaml-location.js';

/** Agent files are small; anything bigger is a mistake (or an attack on the parser). */
export const MAX_AGENT_FILE_BYTES = 1024 * 1024;

/** Everything learnt from one agent file. */
export interface AgentFileResult {
  /** Absolute path. */
  file: string;
  /** The `id` as written, when it is a string: lets duplicate ids be found in invalid files too. */
  declaredId: string | null;
  /** The validated spec, or null when the file has issues. */
  spec: AgentSpec | null;
  /** Resolved credentials by field path, e.g. `a2a.endpoint.credential`. */
  secrets: Map<string, Secret>;
  issues: ConfigIssue[];
}

/** Context for resolving one file's secret references. */
export interface ReadAgentFileOptions {
  /** Relative secret file paths resolve against this folder. */
  catalogDir: string;
  env: NodeJS.ProcessEnv;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Every `{env}` / `{file}` object in the document. Found by shape rather than by schema
 * position so that references are checked even in a file with other problems; the strict
 * schema guarantees that in a valid file these shapes occur only where a credential belongs.
 */
export function findSecretRefs(value: unknown, path: PropertyKey[] = []): Array<{ path: string; ref: SecretRef }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => findSecretRefs(v, [...path, i]));
  if (!isPlainObject(value)) return [];
  const keys = Object.keys(value);
  // Cheap shape test first: a failed zod parse costs far more than this, and most objects are not refs.
  if (keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file')) {
    const asRef = SecretRefSchema.safeParse(value);
    if (asRef.success) return [{ path: formatPath(path), ref: asRef.data }];
  }
  return Object.entries(value).flatMap(([k, v]) => findSecretRefs(v, [...path, k]));
}

/** zod says only "Invalid key in record"; name the key and what is wrong with it. */
function explainRecordKeys(error: z.ZodError, issues: ConfigIssue[]): ConfigIssue[] {
  const why = new Map<string, string>();
  for (const zi of error.issues) {
    if (zi.code === 'invalid_key') why.set(formatPath(zi.path), `invalid name "${String(zi.path.at(-1))}": ${zi.issues[0]?.message ?? 'not allowed here'}`);
  }
  return why.size === 0 ? issues : issues.map((i) => ({ ...i, message: why.get(i.path) ?? i.message }));
}

/**
 * Returns null only when the entry itself is gone (or is a sub-folder): that is a deleted
 * agent. An entry that is still there but cannot be read, including a symlink whose target
 * vanished (an unmounted volume), is an issue, so the reload is rejected and the old catalog
 * keeps serving instead of the agent being removed and, after the grace period, losing its keys.
 */
export async function readAgentFile(file: string, opts: ReadAgentFileOptions): Promise<AgentFileResult | null> {
  const result: AgentFileResult = { file, declaredId: null, spec: null, secrets: new Map(), issues: [] };
  const fail = (path: string, message: string): AgentFileResult => {
    result.issues.push({ file, path, message });
    return result;
  };

  let text: string;
  try {
    const entry = await lstat(file);
    if (entry.isDirectory()) return null;
    // stat follows symlinks, so Kubernetes ConfigMap mounts (symlinked files) load.
    const info = entry.isSymbolicLink() ? await stat(file) : entry;
    if (!info.isFile()) return fail('(file)', entry.isSymbolicLink() ? 'symlink target is not a regular file' : 'not a regular file');
    if (info.size > MAX_AGENT_FILE_BYTES) return fail('(file)', `file is ${info.size} bytes; an agent file may have at most ${MAX_AGENT_FILE_BYTES}`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    // Deleted between listing and reading: the next reload sees the folder as it is.
    if (code === 'ENOENT' && !(await entryExists(file))) return null;
    if (code === 'ENOENT' || code === 'ELOOP') return fail('(file)', `the file or its symlink target is missing (${code})`);
    return fail('(file)', `cannot be read (${code})`);
  }

  const parsed = parseYaml(file, text);
  if (!parsed.ok) {
    result.issues.push(...parsed.issues);
    return result;
  }
  const raw = parsed.value;
  if (raw === null || raw === undefined) return fail('(root)', 'file is empty; expected an agent definition (schemaVersion, id, displayName, owner)');
  if (!isPlainObject(raw)) return fail('(root)', 'expected a mapping of fields (schemaVersion, id, displayName, owner, ...)');

  // A file written for another format version would otherwise drown in unknown-key noise.
  if (raw.schemaVersion !== undefined) {
    const version = AgentSpecSchema.shape.schemaVersion.safeParse(raw.schemaVersion);
    if (!version.success) return fail('schemaVersion', version.error.issues[0]?.message ?? 'unsupported schemaVersion');
  }

  if (typeof raw.id === 'string') {
    result.declaredId = raw.id;
    // One file per id, named after it: two files can never fight over the same agent,
    // and an operator can find an agent's file from its id alone.
    const expected = idFromFileName(basename(file));
    if (raw.id !== expected) {
      result.issues.push({
        file,
        path: 'id',
        message: `id "${raw.id}" does not match the file name ${basename(file)}; rename the file to ${raw.id}.yaml or change the id`,
      });
    }
  }

  const checked = AgentSpecSchema.safeParse(raw);
  if (checked.success) result.spec = checked.data;
  else result.issues.push(...addSchemaPositions(text, checked.error, explainRecordKeys(checked.error, issuesFromZod(file, checked.error))));

  const refs = findSecretRefs(raw);
  const resolved = await Promise.all(refs.map(async ({ path, ref }) => ({ path, r: await resolveSecretRef(ref, opts.catalogDir, opts.env) })));
  for (const { path, r } of resolved) {
    if (r.ok) result.secrets.set(path, r.secret);
    else result.issues.push({ file, path, message: r.message });
  }

  if (result.issues.length > 0) result.spec = null;
  return result;
}

/** Whether the directory entry itself (not what it links to) exists. */
async function entryExists(file: string): Promise<boolean> {
  try {
    await lstat(file);
    return true;
  } catch {
    return false;
  }
}

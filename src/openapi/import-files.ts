/**
 * The files of openapi-imports/: one spec per API (`*.json`, `*.yaml`, `*.yml`) and an
 * optional sidecar beside it (`<name>.warden.yaml`). Reading is asynchronous: imports are
 * (re)loaded while the gateway serves.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { issuesFromZod, type ConfigIssue } from '../config/issues.js';
import { parseYaml } from '../config/load.js';
import { UPSTREAM_ID_PATTERN } from '../config/mcp-schema.js';
import { MAX_SPEC_BYTES } from './load-spec.js';
import { ImportSidecarSchema, type ImportSidecar } from './sidecar-schema.js';

const SPEC_FILE = /^(?!.*\.warden\.ya?ml$)[^.].*\.(json|ya?ml)$/i;
const MAX_SIDECAR_BYTES = 256 * 1024;

export interface ImportFiles {
  /** Absolute path of the spec. */
  spec: string;
  /** Absolute path of the sidecar, when there is one. */
  sidecar: string | null;
  /** Spec, sidecar: `size:mtime` of each, to notice edits. */
  fingerprint: string;
}

/** A name the folder scan takes as a spec (not a sidecar, not hidden). */
export function isSpecFileName(name: string): boolean {
  return SPEC_FILE.test(name);
}

/** Spec files of the folder, sorted by name (a missing folder has none). */
export async function listImportFiles(dir: string): Promise<ImportFiles[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const present = new Set(names);
  const out: ImportFiles[] = [];
  for (const name of names.filter((n) => SPEC_FILE.test(n)).sort()) {
    const spec = join(dir, name);
    const sidecarName = [`${stem(name)}.warden.yaml`, `${stem(name)}.warden.yml`].find((n) => present.has(n));
    const sidecar = sidecarName ? join(dir, sidecarName) : null;
    const parts = await Promise.all([spec, sidecar].map((f) => (f ? stat(f).then((s) => (s.isFile() ? `${s.size}:${s.mtimeMs}` : 'not-a-file'), () => 'gone') : '-')));
    if (parts[0] === 'not-a-file') continue;
    out.push({ spec, sidecar, fingerprint: parts.join('|') });
  }
  return out;
}

/** `petstore.warden.yaml` belongs to `petstore.yaml` and `petstore.json`. */
export function stem(fileName: string): string {
  return fileName.replace(/\.(json|ya?ml)$/i, '');
}

/** The default namespace: the file name made a slug (`Pet Store v2.yaml` -> `pet-store-v2`). */
export function namespaceFromFile(file: string): string | null {
  const slug = stem(basename(file))
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[^a-z]+|-+$/g, '')
    .slice(0, 24)
    .replace(/-+$/, '');
  return UPSTREAM_ID_PATTERN.test(slug) ? slug : null;
}

export async function readSpecText(file: string): Promise<{ ok: true; text: string } | { ok: false; issues: ConfigIssue[] }> {
  try {
    const s = await stat(file);
    if (!s.isFile()) return { ok: false, issues: [{ file, path: '(file)', message: 'not a regular file' }] };
    if (s.size > MAX_SPEC_BYTES) return { ok: false, issues: [{ file, path: '(file)', message: `larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB` }] };
    return { ok: true, text: await readFile(file, 'utf8') };
  } catch (err) {
    return { ok: false, issues: [{ file, path: '(file)', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }] };
  }
}

/** The sidecar, validated (defaults applied); no sidecar means all defaults. */
export async function readSidecar(file: string | null): Promise<{ ok: true; sidecar: ImportSidecar } | { ok: false; issues: ConfigIssue[] }> {
  let raw: unknown = {};
  if (file !== null) {
    let text: string;
    try {
      const s = await stat(file);
      // A FIFO or device would block the read (and every import after it).
      if (!s.isFile()) return { ok: false, issues: [{ file, path: '(file)', message: 'not a regular file' }] };
      if (s.size > MAX_SIDECAR_BYTES) return { ok: false, issues: [{ file, path: '(file)', message: `larger than ${MAX_SIDECAR_BYTES / 1024} KiB` }] };
      text = await readFile(file, 'utf8');
    } catch (err) {
      return { ok: false, issues: [{ file, path: '(file)', message: `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})` }] };
    }
    const parsed = parseYaml(file, text);
    if (!parsed.ok) return parsed;
    raw = parsed.value ?? {};
  }
  const result = ImportSidecarSchema.safeParse(raw);
  if (!result.success) return { ok: false, issues: issuesFromZod(file ?? '(sidecar)', result.error) };
  return { ok: true, sidecar: result.data };
}

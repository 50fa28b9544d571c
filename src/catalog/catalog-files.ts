/** Which files of the catalog folder are agent files, and a cheap fingerprint of them. */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';

const AGENT_FILE = /\.ya?ml$/;

/**
 * `*.yaml` / `*.yml`, not hidden. Editor leftovers (`.x.swp`, `x.yaml~`, `#x.yaml#`,
 * `.#x.yaml`, `x.yaml.tmp`) fail one of the two tests, so they never load half-written.
 */
export function isAgentFileName(name: string): boolean {
  return !name.startsWith('.') && AGENT_FILE.test(name);
}

/** The id a file name promises: `support-triage.yaml` → `support-triage`. */
export function idFromFileName(name: string): string {
  return name.replace(AGENT_FILE, '');
}

/** Lists agent file names (sorted), or the folder-level issue that prevents it. */
export async function listAgentFiles(dir: string): Promise<{ ok: true; names: string[] } | { ok: false; issue: ConfigIssue }> {
  try {
    const names = (await readdir(dir)).filter(isAgentFileName).sort();
    return { ok: true, names };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    const message =
      code === 'ENOENT' ? 'catalog folder not found' : code === 'ENOTDIR' ? 'catalog path is not a folder' : `catalog folder cannot be read (${code})`;
    return { ok: false, issue: { file: dir, path: '(folder)', message } };
  }
}

/**
 * Names, sizes and modification times of the agent files plus any extra files (secret files
 * the catalog references). Equal fingerprints mean "nothing to reload" for the periodic rescan;
 * it is a safety net for missed fs.watch events, not a content hash.
 */
export async function folderFingerprint(dir: string, extraFiles: readonly string[] = []): Promise<string> {
  const listed = await listAgentFiles(dir);
  if (!listed.ok) return `! ${listed.issue.message}`;
  const paths = [...listed.names.map((n) => join(dir, n)), ...extraFiles];
  const parts = await Promise.all(
    paths.map(async (p) => {
      try {
        const s = await stat(p);
        return `${p}:${s.size}:${s.mtimeMs}:${s.ino}`;
      } catch {
        return `${p}:missing`;
      }
    }),
  );
  return parts.join('\n');
}

/** Runs `fn` over `items` with at most `limit` in flight (a big catalog must not exhaust file handles). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

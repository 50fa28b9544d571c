/** Loads the whole catalog folder, reporting every problem in every file in one go. */
import { basename, join, resolve } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';
import type { PolicySection } from './agent-schema.js';
import { listAgentFiles, mapLimit } from './catalog-files.js';
import { compileCatalog, type Catalog, type CompileInput } from './compile.js';
import { ENFORCED_SECTIONS } from './enforced-sections.js';
import { readAgentFile, type AgentFileResult } from './read-agent-file.js';

/** Options of loadCatalog; all optional. */
export interface LoadCatalogOptions {
  /** Where `{env}` secret references are looked up. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Version stamped on the catalog (a CatalogStore counts its loads). Default 1. */
  version?: number;
  /** Sections this gateway enforces. Default: ENFORCED_SECTIONS. */
  enforced?: ReadonlySet<PolicySection>;
  /** Clock for `loadedAt`. */
  now?: () => number;
}

/** The compiled catalog and its warnings, or every issue found. */
export type LoadCatalogResult = { ok: true; catalog: Catalog; warnings: ConfigIssue[] } | { ok: false; issues: ConfigIssue[] };

/** Files read at once: enough to hide latency, few enough to stay far from the fd limit. */
const READ_CONCURRENCY = 32;

/** Issues for every id declared by more than one file, each naming all the files involved. */
function duplicateIdIssues(results: readonly AgentFileResult[]): ConfigIssue[] {
  const byId = new Map<string, string[]>();
  for (const r of results) {
    if (r.declaredId === null) continue;
    byId.set(r.declaredId, [...(byId.get(r.declaredId) ?? []), r.file]);
  }
  const issues: ConfigIssue[] = [];
  for (const [id, files] of byId) {
    if (files.length < 2) continue;
    for (const file of files) {
      const others = files.filter((f) => f !== file).map((f) => basename(f));
      issues.push({ file, path: 'id', message: `agent id "${id}" is also declared in ${others.join(', ')} (${files.map((f) => basename(f)).join(' and ')} claim the same agent)` });
    }
  }
  return issues;
}

/**
 * Reads every `*.yaml` / `*.yml` file of `dir` (asynchronously; it also runs inside the live
 * gateway) and returns either the compiled catalog with its warnings or every issue found.
 * An empty folder is a valid, empty catalog; a missing folder is an issue.
 */
export async function loadCatalog(dir: string, opts: LoadCatalogOptions = {}): Promise<LoadCatalogResult> {
  const folder = resolve(dir);
  const listed = await listAgentFiles(folder);
  if (!listed.ok) return { ok: false, issues: [listed.issue] };

  const env = opts.env ?? process.env;
  const read = await mapLimit(listed.names, READ_CONCURRENCY, (name) => readAgentFile(join(folder, name), { catalogDir: folder, env }));
  const results = read.filter((r): r is AgentFileResult => r !== null);

  const issues = [...results.flatMap((r) => r.issues), ...duplicateIdIssues(results)];
  if (issues.length > 0) {
    // Group by file (stable), so a report reads file by file.
    const order = new Map(results.map((r, i) => [r.file, i]));
    issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0));
    return { ok: false, issues };
  }

  const inputs: CompileInput[] = results.map((r) => {
    if (r.spec === null) throw new Error(`internal: ${r.file} has no spec and no issues`);
    return { file: r.file, spec: r.spec, secrets: r.secrets };
  });
  const { catalog, warnings } = compileCatalog(inputs, {
    version: opts.version ?? 1,
    loadedAt: (opts.now ?? Date.now)(),
    enforced: opts.enforced ?? ENFORCED_SECTIONS,
  });
  return { ok: true, catalog, warnings };
}

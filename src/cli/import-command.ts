import { copyFile, mkdir, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { formatIssues } from '../config/issues.js';
import { hashDefinition } from '../mcp/registry/definition-hash.js';
import { scanDefinition } from '../mcp/registry/injection-scan.js';
import { FIND_TOOL } from '../openapi/discovery.js';
import { publicToolName } from '../mcp/registry/tool-names.js';
import { buildImport, type ImportedApi } from '../openapi/import-api.js';
import type { LoadedConfig } from '../config/load.js';
import { isSpecFileName, listImportFiles, namespaceFromFile, readSidecar, stem } from '../openapi/import-files.js';
import { configFrom, parse, printTable, tableCell, UsageError, type Io } from './common.js';
import { IMPORT_HELP } from './import-help.js';



/** `warden import`: the report a developer reads before (or instead of) dropping a spec in the folder. */
export async function importCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    sidecar: { type: 'string' },
    check: { type: 'boolean' },
    force: { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.out.write(`${IMPORT_HELP}\n`);
    return values.help ? 0 : 2;
  }
  if (positionals.length > 1) throw new UsageError(`one spec file at a time (got ${positionals.length})`);
  const spec = positionals[0]!;
  if (!(await isFile(spec))) throw new UsageError(`${spec}: no such file`);
  if (!isSpecFileName(basename(spec))) {
    io.err.write(`${spec}: the gateway reads only .json, .yaml and .yml specs (and not *.warden.yaml sidecars): rename it\n`);
    return 1;
  }
  if (values.sidecar !== undefined && !(await isFile(values.sidecar))) throw new UsageError(`${values.sidecar}: no such file`);
  const config = await configFrom(values);
  const target = join(config.importsDir, basename(spec));
  // Without a sidecar of its own, the spec would load with the one already in the imports folder: report with that one.
  const kept = values.sidecar === undefined && !(await sidecarBeside(spec)) ? await sidecarBeside(target) : null;
  const sidecar = values.sidecar ?? (await sidecarBeside(spec)) ?? kept;

  const result = await buildImport(
    { spec, sidecar, fingerprint: '' },
    {
      env: process.env,
      // A report never needs a token: OAuth endpoints are only called by a running gateway.
      tokenTransport: () => () => Promise.reject(new Error('not called by warden import')),
    },
  );
  if (!result.ok) {
    if (values.json) io.out.write(`${JSON.stringify({ ok: false, file: spec, issues: result.issues })}\n`);
    else io.err.write(`${spec} cannot be imported:\n${formatIssues(result.issues)}\n`);
    return 1;
  }
  const api = result.api;
  const clash = await namespaceClash(api.id, config, target);
  if (clash) {
    if (values.json) io.out.write(`${JSON.stringify({ ok: false, file: spec, issues: [{ file: sidecar ?? spec, path: 'namespace', message: clash }] })}\n`);
    else io.err.write(`${spec} cannot be imported: namespace: ${clash}\n`);
    return 1;
  }
  const notes = kept ? [`no sidecar beside ${spec}: the one already in the imports folder (${kept}) applies`] : [];
  let copiedTo: string | null = null;
  if (!values.check) {
    copiedTo = target;
    if ((await isFile(copiedTo)) && !values.force) {
      io.err.write(`${copiedTo} exists: use --force to replace it\n`);
      return 1;
    }
    await mkdir(config.importsDir, { recursive: true });
    // The sidecar first: a gateway watching the folder must never import the spec without it.
    if (sidecar && sidecar !== kept) await place(sidecar, join(config.importsDir, `${stem(basename(spec))}.warden.yaml`));
    await place(spec, copiedTo);
  }
  if (values.json) io.out.write(`${JSON.stringify(report(api, copiedTo, notes))}\n`);
  else printReport(io, api, copiedTo, notes);
  return 0;
}

/** Another import of the folder, or an MCP upstream, already owns this namespace. */
async function namespaceClash(id: string, config: LoadedConfig, target: string): Promise<string | null> {
  if (config.mcp.upstreams.some((u) => u.id === id)) return `${id} is the id of an MCP upstream in the configuration: set another namespace in the sidecar`;
  for (const other of await listImportFiles(config.importsDir)) {
    if (other.spec === target) continue;
    const sc = await readSidecar(other.sidecar);
    const otherId = sc.ok ? (sc.sidecar.namespace ?? namespaceFromFile(other.spec)) : null;
    if (otherId === id) return `${id} is already the namespace of ${other.spec}: set another namespace in the sidecar`;
  }
  return null;
}

function report(api: ImportedApi, copiedTo: string | null, notes: string[]) {
  const tool = (name: string, operation: string, risk: string, definition: Record<string, unknown>) => ({ name: publicToolName(api.id, name), operation, risk, ...review(api, definition) });
  return {
    ok: true,
    namespace: api.id,
    title: api.title,
    specVersion: api.version,
    baseUrl: api.base.href,
    copiedTo,
    tools: [
      ...[...api.tools.values()].map((t) => tool(t.name, t.key, t.risk, t.definition)),
      // Discovery mode: agents reach the operations through these two, scanned like any tool
      // (their descriptions quote the spec's title); held, they keep the whole API out of reach.
      ...(api.discovery?.definitions ?? []).map((d) => tool(String(d.name), '(discovery)', d.name === FIND_TOOL ? 'read-only' : 'per operation', d)),
    ],
    skipped: api.skipped,
    warnings: [...notes, ...api.warnings],
  };
}

/**
 * What the gateway will do with a tool's definition when it first sees it, as the registry
 * decides: not list it when the definition cannot be pinned (too deep or too large); hold it
 * for review when the injection scan flags it, or when the sidecar turns autoApprove off;
 * usable otherwise. (A version approved or rejected before keeps that decision whatever this
 * says. Public names cannot clash: the namespace is the import's own, checked above.)
 */
function review(api: ImportedApi, definition: Record<string, unknown>) {
  const pinned = hashDefinition(definition);
  if (!pinned.ok) return { review: `${NOT_LISTED}${pinned.reason}`, findings: [] };
  const findings = scanDefinition(definition);
  if (findings.length > 0) {
    const rules = [...new Set(findings.map((f) => f.rule))].join(', ');
    return { review: `held: injection scan (${rules})`, findings };
  }
  return { review: api.sidecar.autoApprove ? 'usable' : 'held: autoApprove is false', findings };
}

const NOT_LISTED = 'not listed: ';

function printReport(io: Io, api: ImportedApi, copiedTo: string | null, notes: string[]): void {
  const r = report(api, copiedTo, notes);
  io.out.write(`${tableCell(api.title || '(untitled)', 120)} (${api.version === '2.0' ? 'Swagger 2.0' : `OpenAPI ${api.version}`}) as namespace ${api.id}, calls ${api.base.href}\n`);
  io.out.write(`${r.tools.length} tool(s), ${r.skipped.length} operation(s) skipped, ${r.warnings.length} warning(s)\n\n`);
  if (r.tools.length > 0) printTable(io.out, r.tools, ['name', 'operation', 'risk', 'review'], { maxWidth: { operation: 80, review: 80 } });
  const held = r.tools.filter((t) => t.review.startsWith('held:')).length;
  const unlisted = r.tools.filter((t) => t.review.startsWith(NOT_LISTED)).length;
  if (held > 0) io.out.write(`\n${held} tool(s) held: hidden until \`warden tools approve <name>\` (see \`warden tools pending\` once the gateway has loaded them)\n`);
  if (unlisted > 0) io.out.write(`\n${unlisted} tool(s) not listed: the gateway cannot offer them (the review column says why)\n`);
  if (r.skipped.length > 0) {
    io.out.write('\nskipped:\n');
    printTable(io.out, [...r.skipped], ['operation', 'reason'], { maxWidth: { reason: 240 } });
  }
  if (r.warnings.length > 0) io.out.write(`\nwarnings:\n${r.warnings.map((w) => `  ${tableCell(w, 300)}`).join('\n')}\n`);
  io.out.write(copiedTo ? `\ncopied to ${copiedTo}\n` : '\n--check: nothing copied\n');
}

async function sidecarBeside(spec: string): Promise<string | null> {
  for (const ext of ['warden.yaml', 'warden.yml']) {
    const candidate = join(dirname(spec), `${stem(basename(spec))}.${ext}`);
    if (await isFile(candidate)) return candidate;
  }
  return null;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** Copy then rename: the watcher never sees a half-written file. */
async function place(from: string, to: string): Promise<void> {
  const tmp = join(dirname(to), `.${basename(to)}.${process.pid}.tmp`);
  try {
    await copyFile(from, tmp);
    await rename(tmp, to);
  } finally {
    await rm(tmp, { force: true });
  }
}

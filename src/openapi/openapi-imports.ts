/**
 * The imported APIs of openapi-imports/, kept in step with the folder: each spec file is
 * (re)imported when it or its sidecar changes, its tools go into the one tool registry under
 * the import's namespace (pinned and approved like any upstream's), and a removed file takes
 * its tools with it. A file that fails to import is reported (log and audit) and, when it
 * had imported before, keeps serving its last good version.
 */
import { watch, type FSWatcher } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/record.js';
import type { ConfigIssue } from '../config/issues.js';
import type { Egress } from '../egress/egress.js';
import type { ToolRegistry } from '../mcp/registry/tool-registry.js';
import { callOperation, type OperationCallResult } from './call-operation.js';
import { egressTokenTransport } from './token-transport.js';
import { publicToolName } from '../mcp/registry/tool-names.js';
import type { ToolView } from '../mcp/directory-types.js';
import type { RiskClass } from '../mcp/registry/risk-class.js';
import { CALL_TOOL, FIND_TOOL, findOperations, META_TOOLS } from './discovery.js';
import { buildImport, type ImportedApi, type OpenApiTool } from './import-api.js';
import { errorResult } from './result.js';
import { argumentChecker } from './argument-validation.js';
import { CALL_ARGUMENTS, FIND_ARGUMENTS } from './discovery.js';
import { hashDefinition } from '../mcp/registry/definition-hash.js';
import { listImportFiles, type ImportFiles } from './import-files.js';
import { NamespaceOwners } from './namespace-owners.js';
import { secretFilesFingerprint } from './secret-files.js';
import { SpecAnalyzer } from './spec-analyzer.js';

export interface OpenApiImportsOptions {
  dir: string;
  registry: ToolRegistry;
  egress: Egress;
  audit: AuditSink;
  log: Logger;
  env?: NodeJS.ProcessEnv;
  /** Namespaces taken by MCP upstreams: an import may not use them. */
  reservedIds: ReadonlySet<string>;
  debounceMs?: number;
  rescanIntervalMs?: number;
  /** Where namespace ownership is kept across restarts (default: not kept). */
  ownersFile?: string;
}

export interface ImportStatus {
  id: string | null;
  file: string;
  state: 'imported' | 'failed';
  title?: string;
  baseUrl?: string;
  tools?: number;
  skipped?: ReadonlyArray<{ operation: string; reason: string }>;
  warnings?: readonly string[];
  /** Why the last attempt failed (a previous good version may still be serving). */
  issues?: ConfigIssue[];
}

interface Entry {
  files: ImportFiles;
  api: ImportedApi | null;
  issues: ConfigIssue[] | null;
  /** secretFilesFingerprint(api) when it was imported. */
  secrets: string;
  /** Refused because another file (or an MCP upstream) has this namespace: retried when it is free. */
  clash: string | null;
}

export class OpenApiImports {
  readonly #opts: OpenApiImportsOptions;
  readonly #log: Logger;
  readonly #byFile = new Map<string, Entry>();
  readonly #byId = new Map<string, ImportedApi>();
  readonly #analyzer = new SpecAnalyzer();
  readonly #owners: NamespaceOwners;
  #watcher: FSWatcher | null = null;
  #timer: NodeJS.Timeout | null = null;
  #rescan: NodeJS.Timeout | null = null;
  #running: Promise<void> | null = null;
  #again = false;
  #closed = false;

  constructor(opts: OpenApiImportsOptions) {
    this.#opts = opts;
    this.#log = opts.log.child({ component: 'openapi' });
    this.#owners = new NamespaceOwners(opts.ownersFile ?? null);
  }

  status(): ImportStatus[] {
    return [...this.#byFile.values()].map(({ files, api, issues }) => ({
      id: api?.id ?? null,
      file: files.spec,
      state: issues === null && api ? 'imported' : 'failed',
      ...(api ? { title: api.title, baseUrl: api.base.href, tools: api.tools.size, skipped: api.skipped, warnings: api.warnings } : {}),
      ...(issues ? { issues } : {}),
    }));
  }

  /** Imports the folder once (start-up); then `watch()` keeps it in step. */
  sync(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    const run = (async () => {
      do {
        this.#again = false;
        try {
          await this.#syncOnce();
        } catch (err) {
          // A pass that fails (state database locked past its retries, disk full) is logged and
          // retried by the next rescan; it must never take the process down.
          this.#log.error({ err }, 'openapi imports could not be synchronized; retrying at the next rescan');
          this.#again = false;
        }
      } while (this.#again && !this.#closed);
      // The analyzer's heap (a parsed spec can take hundreds of MB) goes back to the system at once.
      this.#analyzer.release();
    })().finally(() => {
      this.#running = null;
    });
    this.#running = run;
    return run;
  }

  watch(): void {
    if (this.#watcher || this.#closed) return;
    try {
      this.#watcher = watch(this.#opts.dir, { persistent: false }, () => this.#schedule());
      this.#watcher.on('error', () => {
        this.#watcher?.close();
        this.#watcher = null;
      });
    } catch {
      // No folder yet: the periodic rescan notices when one appears.
    }
    const every = this.#opts.rescanIntervalMs ?? 5_000;
    // Once: the rescan itself calls watch() again while the folder is missing.
    if (every > 0 && !this.#rescan) {
      this.#rescan = setInterval(() => {
        if (!this.#watcher) this.watch();
        void this.sync();
      }, every).unref();
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#watcher?.close();
    this.#watcher = null;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#rescan) clearInterval(this.#rescan);
    await this.#analyzer.close();
    await this.#running;
    await this.#owners.flush();
  }

  /**
   * Calls an imported operation, or one of an import's discovery tools (the chain has already
   * authorized the tool; for call_operation, the operation it names: see aimedAt). `visible`
   * is what the agent may see and call, by public name.
   */
  call(importId: string, toolName: string, args: Record<string, unknown>, signal: AbortSignal, visible: (publicName: string) => ToolView | undefined): Promise<OperationCallResult> | null {
    const api = this.#byId.get(importId);
    if (!api) return null;
    const io = { egress: this.#opts.egress, signal };
    if (api.discovery && toolName === FIND_TOOL) {
      const problems = checkFindArguments(args);
      if (problems.length > 0) return Promise.resolve(refused(api, FIND_TOOL, 'invalid-arguments', `Invalid arguments for ${FIND_TOOL}:\n${bullets(problems)}`));
      return Promise.resolve({ result: findOperations(api.discovery.operations, args, visible), details: { api: api.id, upstream: api.id, tool: FIND_TOOL, outcome: 'ok' }, sent: false });
    }
    if (api.discovery && toolName === CALL_TOOL) {
      const problems = checkCallArguments(args);
      if (problems.length > 0) return Promise.resolve(refused(api, CALL_TOOL, 'invalid-arguments', `Invalid arguments for ${CALL_TOOL}:\n${bullets(problems)}`));
      const target = this.#operationNamed(api, args.operation);
      const view = target ? visible(publicToolName(api.id, target.name)) : undefined;
      // The chain authorized exactly this operation (aimedAt); a reload in between must not widen it.
      if (!target || !view || view.status !== 'approved') return Promise.resolve(refused(api, CALL_TOOL, 'unknown-operation', `Unknown operation: ${String(args.operation).slice(0, 200)}`));
      if (view.hash !== definitionHash(target)) return Promise.resolve(changedUnderfoot(api, target));
      const inner = (args.arguments ?? {}) as Record<string, unknown>;
      return callOperation(api, target, inner, io).then((r) => ({ ...r, details: { ...r.details, via: CALL_TOOL } }));
    }
    const tool = api.tools.get(toolName);
    if (!tool) return null;
    const view = visible(publicToolName(api.id, toolName));
    if (!view || view.hash !== definitionHash(tool)) return Promise.resolve(changedUnderfoot(api, tool));
    return callOperation(api, tool, args, io);
  }

  /**
   * The public name a call of `tool` is really aimed at: for an import's call_operation, the
   * operation it names (so the policy chain authorizes and audits that operation under its
   * own name and risk class); null for every other tool. An operation that is not this
   * import's yields a name of the same shape that no tool has, which the chain refuses as
   * unknown: exactly as it refuses an operation the agent may not call, so the answer does
   * not tell hidden operations from missing ones.
   */
  aimedAt(tool: ToolView | undefined, args: unknown): string | null {
    if (!tool || tool.kind !== 'openapi' || tool.upstreamName !== CALL_TOOL) return null;
    const api = this.#byId.get(tool.upstream);
    if (!api?.discovery) return null;
    const operation = (args as { operation?: unknown } | null)?.operation;
    const op = this.#operationNamed(api, operation);
    if (op) return publicToolName(api.id, op.name);
    // Not one of this import's operations: a name in this import's namespace that no tool has
    // (never another upstream's tool: namespaces are unique, unprefixed names hold no "__").
    const named = String(operation).slice(0, 100);
    const prefix = `${api.id}__`;
    const local = named.startsWith(prefix) ? named.slice(prefix.length) : named;
    // The discovery tools themselves are no operation either (and no secret): kept apart.
    return META_TOOLS.has(local) ? `${tool.name}(${named})` : publicToolName(api.id, local);
  }

  #operationNamed(api: ImportedApi, name: unknown): OpenApiTool | undefined {
    if (typeof name !== 'string') return undefined;
    const local = api.publicNames.get(name) ?? name;
    return api.tools.get(local);
  }

  #schedule(): void {
    if (this.#closed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = null;
      void this.sync();
    }, this.#opts.debounceMs ?? 200).unref();
  }

  async #syncOnce(): Promise<void> {
    let listed: ImportFiles[];
    try {
      listed = await listImportFiles(this.#opts.dir);
    } catch (err) {
      this.#log.error({ err, dir: this.#opts.dir }, 'openapi imports folder cannot be read');
      return;
    }
    await this.#owners.load();
    const present = new Set(listed.map((f) => f.spec));
    for (const [file, entry] of [...this.#byFile]) {
      if (present.has(file)) continue;
      this.#byFile.delete(file);
      this.#owners.release(file);
      if (entry.api) await this.#retire(entry.api, 'the spec file was removed');
    }
    for (const files of listed) {
      if (this.#closed) return;
      const known = this.#byFile.get(files.spec);
      // A rotated secret file re-imports too (environment variables cannot change under a running process).
      if (known && known.files.fingerprint === files.fingerprint && known.secrets === (await secretFilesFingerprint(known.api))) continue;
      await this.#importOne(files, known, present);
    }
    // Files refused for a namespace another file held: retried once that file let it go.
    for (const entry of [...this.#byFile.values()]) {
      if (this.#closed) return;
      if (entry.clash !== null && this.#clash(entry.clash, entry.files.spec, present) === null) await this.#importOne(entry.files, entry, present);
    }
  }

  async #importOne(files: ImportFiles, known: Entry | undefined, present: ReadonlySet<string>): Promise<void> {
    const t0 = performance.now();
    let result = await buildImport(files, {
      env: this.#opts.env ?? process.env,
      tokenTransport: (internal) => egressTokenTransport(this.#opts.egress, internal),
      analyze: (req) => this.#analyzer.analyze(req),
    }).catch((err: unknown) => ({
      ok: false as const,
      issues: [{ file: files.spec, path: '(import)', message: `import failed: ${(err as Error).message.slice(0, 200)}` }],
    }));
    let clashId: string | null = null;
    if (result.ok) {
      const clash = this.#clash(result.api.id, files.spec, present);
      if (clash) {
        clashId = result.api.id;
        result = { ok: false, issues: [{ file: files.sidecar ?? files.spec, path: 'namespace', message: clash }] };
      }
    }
    const ms = Math.round(performance.now() - t0);
    if (!result.ok) {
      this.#byFile.set(files.spec, { files, api: known?.api ?? null, issues: result.issues, secrets: known?.secrets ?? '', clash: clashId });
      this.#log.error({ file: files.spec, issues: result.issues, keptPrevious: known?.api != null }, 'openapi import refused');
      this.#record('openapi.import', known?.api?.id ?? null, 'deny', result.issues.map((i) => `${i.path}: ${i.message}`).join('; ').slice(0, 1000), {
        file: files.spec,
        issues: result.issues.slice(0, 20),
        keptPrevious: known?.api != null,
      });
      return;
    }
    const api = result.api;
    if (known?.api && known.api.id !== api.id) await this.#retire(known.api, `namespace changed to ${api.id}`);
    const secrets = await secretFilesFingerprint(api);
    const definitions = [...api.tools.values()].map((t) => t.definition);
    const riskByName = new Map<string, RiskClass>([...api.tools.values()].map((t) => [t.name, t.risk]));
    if (api.discovery) {
      definitions.push(...api.discovery.definitions);
      // The discovery tools do nothing themselves: what they reach is authorized per operation.
      for (const name of META_TOOLS) riskByName.set(name, 'read-only');
    }
    const ingest = await this.#opts.registry.ingest(api.id, definitions, {
      autoApprove: api.sidecar.autoApprove,
      risk: [],
      riskOf: (name) => riskByName.get(name) ?? 'destructive',
      kind: 'openapi',
      ...(api.discovery ? { unlisted: new Set(api.tools.keys()) } : {}),
    });
    // Serve the new version only once the registry knows it: until then calls run the version
    // the chain is authorizing (and each call checks the two agree: definitionHash).
    this.#byId.set(api.id, api);
    this.#byFile.set(files.spec, { files, api, issues: null, secrets, clash: null });
    this.#owners.claim(api.id, files.spec);
    this.#log.info(
      { api: api.id, file: files.spec, tools: api.tools.size, usable: ingest.usable, skipped: api.skipped.length, refused: ingest.skipped.length, warnings: api.warnings.length, ms },
      'openapi import loaded',
    );
    for (const w of api.warnings) this.#log.warn({ api: api.id, warning: w }, 'openapi import warning');
    if (api.skipped.length > 0) {
      this.#log.warn({ api: api.id, skipped: api.skipped.length, operations: api.skipped.slice(0, 50) }, 'openapi operations skipped (warden import --check lists them all)');
    }
    this.#record('openapi.import', api.id, 'allow', null, {
      file: files.spec,
      version: api.version,
      baseUrl: api.base.href,
      tools: api.tools.size,
      usable: ingest.usable,
      skipped: api.skipped.slice(0, 50),
      skippedCount: api.skipped.length,
      warnings: api.warnings.slice(0, 20),
      refused: ingest.skipped.slice(0, 20),
      ms,
    });
  }

  /**
   * Why `file` may not have namespace `id`: an MCP upstream's; another file's import serving
   * it; or the file that owned it before (kept across restarts), while that file is still in
   * the folder and has not moved to another namespace. First come keeps it.
   */
  #clash(id: string, file: string, present: ReadonlySet<string>): string | null {
    if (this.#opts.reservedIds.has(id)) return `namespace ${id} is the id of an MCP upstream: choose another in the sidecar`;
    for (const [other, entry] of this.#byFile) {
      if (other !== file && entry.api?.id === id) return `namespace ${id} is already used by ${other}`;
    }
    const owner = this.#owners.owner(id);
    if (owner !== undefined && owner !== file && present.has(owner)) {
      const ownerEntry = this.#byFile.get(owner);
      if (!ownerEntry?.api || ownerEntry.api.id === id) return `namespace ${id} is already used by ${owner}`;
    }
    return null;
  }

  async #retire(api: ImportedApi, reason: string): Promise<void> {
    if (this.#byId.get(api.id) === api) this.#byId.delete(api.id);
    await this.#opts.registry.removeUpstream(api.id, reason);
    this.#log.info({ api: api.id, reason }, 'openapi import removed');
  }

  #record(action: string, target: string | null, decision: 'allow' | 'deny', reason: string | null, details: Record<string, unknown>): void {
    this.#opts.audit
      .append({ time: Date.now(), requestId: `openapi-${randomUUID()}`, channel: 'mcp', action, target, decision, reason, details })
      .catch((err: unknown) => this.#log.error({ err, action }, 'openapi import audit event could not be committed'));
  }
}


const hashes = new WeakMap<OpenApiTool, string | null>();

/** The registry's hash of the definition this process would run (computed once per tool). */
function definitionHash(tool: OpenApiTool): string | null {
  let h = hashes.get(tool);
  if (h === undefined) {
    const r = hashDefinition(tool.definition as Record<string, unknown>);
    h = r.ok ? r.hash : null;
    hashes.set(tool, h);
  }
  return h;
}

/** The discovery tools' own arguments, checked by validators compiled once. */
const checkFindArguments = argumentChecker(FIND_ARGUMENTS);
const checkCallArguments = argumentChecker(CALL_ARGUMENTS);

const bullets = (lines: string[]) => lines.map((l) => `- ${l}`).join('\n');

function refused(api: ImportedApi, tool: string, outcome: string, text: string): OperationCallResult {
  return { result: errorResult(text), details: { api: api.id, upstream: api.id, tool, outcome }, sent: false };
}

/** The registry and the loaded import disagree about a tool (a reload in progress): refuse rather than run an unapproved version. */
function changedUnderfoot(api: ImportedApi, tool: OpenApiTool): OperationCallResult {
  return refused(api, tool.name, 'definition-changed', `The definition of ${tool.name} is being reloaded; list the tools again and retry`);
}

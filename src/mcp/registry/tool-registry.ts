import { randomUUID } from 'node:crypto';
import type { AuditEventInput, AuditSink } from '../../audit/record.js';
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import { withBusyRetry } from '../../state/busy-retry.js';
import type { StateStore, ToolVersionStatus } from '../../state/state-store.js';
import { ApprovalCache, decideToolVersion, type DecisionResult } from './approvals.js';
import { diffDefinitions, hashDefinition } from './definition-hash.js';
import { scanDefinition, type Finding } from './injection-scan.js';
import { exposedAnnotations, riskClassFor, type RiskClass } from './risk-class.js';
import { deepFreeze, invalidToolReason } from './tool-shape.js';
import { publicToolName, unprefixedNameProblem } from './tool-names.js';

/** Where a public tool name leads: an upstream MCP server's tool, or an operation of an OpenAPI import. */
export interface ToolSource {
  kind: 'mcp' | 'openapi';
  /** The upstream's id, or the import's namespace. */
  upstream: string;
  /** The tool's name as the upstream knows it (what tools/call upstream must use), or the import's tool name. */
  name: string;
}

export interface ToolEntry {
  /** Public name: `<upstream>__<tool>` (see tool-names.ts). */
  readonly name: string;
  readonly source: ToolSource;
  /** What clients see: the upstream's definition with the public name and the gateway's annotations. */
  readonly definition: Readonly<Record<string, unknown>>;
  /** Exactly what the upstream listed (what the hash pins). */
  readonly upstreamDefinition: Readonly<Record<string, unknown>>;
  readonly hash: string;
  readonly risk: RiskClass;
  /** Status of the version the upstream offers now. */
  readonly status: ToolVersionStatus;
  /** Approved: may be listed (subject to the agent's visibility) and called. */
  readonly usable: boolean;
  /** In tools/list. False for the operations of an OpenAPI import in discovery mode: found by search, called by name. */
  readonly listed: boolean;
  readonly findings: readonly Finding[];
}

export interface QuarantineEvent {
  name: string;
  source: ToolSource;
  hash: string;
  /** The version offered (or approved) before, when the tool was known. */
  previousHash: string | null;
  status: ToolVersionStatus;
  /** new: no approved version to compare with; changed: differs from the version offered or approved before; revoked: its approval was withdrawn. */
  reason: 'new' | 'changed' | 'revoked';
  findings: readonly Finding[];
}

export interface ToolRegistryEvents {
  /** Public names whose exposure changed: appeared, disappeared, or now expose a different definition. */
  changed: (names: ReadonlySet<string>) => void;
  /** A tool is not usable because of a definition nobody approved (or an approval withdrawn). */
  quarantined: (event: QuarantineEvent) => void;
}

/** Minimal logger shape (a pino Logger fits). */
export interface RegistryLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ToolRegistryOptions {
  state: StateStore;
  audit: AuditSink;
  log: RegistryLog;
  now?: () => number;
}

/** The parts of an upstream's configuration the registry uses. */
export type UpstreamToolSettings = Pick<UpstreamConfig, 'autoApprove' | 'risk'> & {
  prefix?: boolean;
  /**
   * 'openapi': the gateway wrote these definitions itself (from an operation's method and the
   * operator's overrides), so their annotations are its own and are kept as they are.
   */
  kind?: ToolSource['kind'];
  /** Tools registered, governed and callable, but left out of tools/list. */
  unlisted?: ReadonlySet<string>;
  /** The class of each tool when the source knows it (OpenAPI: from the method); else the `risk` rules decide. */
  riskOf?: (tool: string) => RiskClass;
};

export interface IngestResult {
  /** Tools registered from this listing (usable or not). */
  registered: number;
  usable: number;
  /** Tools refused (invalid shape, unpinnable, name conflict, `__` in an unprefixed name). */
  skipped: Array<{ tool: string | null; reason: string }>;
}

type Listener<E extends keyof ToolRegistryEvents> = ToolRegistryEvents[E];

/**
 * Every upstream tool the gateway knows, under its public name, with its pinned definition
 * and approval status. Fed by upstream listings (`ingest`); read on the request path
 * through `get`/`list`/`usable` (in-memory, precomputed). Approvals live in the state
 * database, so the CLI can decide while the gateway runs: call `refreshApprovals()` when
 * that database changed (see state-refresher.ts).
 */
export class ToolRegistry {
  readonly #state: StateStore;
  readonly #audit: AuditSink;
  readonly #log: RegistryLog;
  readonly #now: () => number;
  readonly #approvals: ApprovalCache;
  readonly #byUpstream = new Map<string, Map<string, ToolEntry>>();
  #byName = new Map<string, ToolEntry>();
  #all: readonly ToolEntry[] = [];
  #usable: readonly ToolEntry[] = [];
  /** Refusals already reported, per upstream, so a periodic re-list does not repeat them. */
  readonly #reported = new Map<string, Set<string>>();
  /** Upstreams configured `prefix: false`: their public names carry no namespace. */
  readonly #unprefixed = new Set<string>();
  readonly #listeners: { [E in keyof ToolRegistryEvents]: Set<Listener<E>> } = { changed: new Set(), quarantined: new Set() };
  #queue: Promise<unknown> = Promise.resolve();

  constructor(opts: ToolRegistryOptions) {
    this.#state = opts.state;
    this.#audit = opts.audit;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#approvals = new ApprovalCache(opts.state);
  }

  get(publicName: string): ToolEntry | undefined {
    return this.#byName.get(publicName);
  }

  /** Every registered tool, usable or not, sorted by public name. */
  list(): readonly ToolEntry[] {
    return this.#all;
  }

  /** The usable tools, sorted by public name (what tools/list starts from before per-agent visibility). */
  usable(): readonly ToolEntry[] {
    return this.#usable;
  }

  on<E extends keyof ToolRegistryEvents>(event: E, listener: ToolRegistryEvents[E]): () => void {
    const set = this.#listeners[event] as Set<ToolRegistryEvents[E]>;
    set.add(listener);
    return () => set.delete(listener);
  }

  /**
   * Takes an upstream's complete tool listing: registers new tools, pins and quarantines
   * changed ones, delists the ones that disappeared. Calls are serialized.
   */
  ingest(upstreamId: string, tools: readonly unknown[], settings: UpstreamToolSettings): Promise<IngestResult> {
    return this.#serially(() => this.#ingest(upstreamId, tools, settings));
  }

  /** Delists every tool of an upstream (removed from the configuration). */
  removeUpstream(upstreamId: string, reason: string): Promise<void> {
    return this.#serially(async () => {
      const previous = this.#byUpstream.get(upstreamId);
      if (!previous) return;
      this.#byUpstream.delete(upstreamId);
      this.#reported.delete(upstreamId);
      for (const e of previous.values()) this.#record('tool.removed', e.name, 'allow', reason, { upstream: upstreamId, tool: e.source.name, hash: e.hash });
      this.#publish(new Set([...previous.values()].filter((e) => e.usable).map((e) => e.name)));
    });
  }

  /**
   * Re-reads the approval statuses from the state database (another process, the CLI, may
   * have decided) and applies them. Cheap when nothing changed for a registered tool.
   */
  refreshApprovals(): void {
    this.#approvals.reload();
    const changed = new Set<string>();
    let touched = false;
    for (const [upstream, entries] of this.#byUpstream) {
      for (const [tool, e] of entries) {
        const status = this.#approvals.version(upstream, tool, e.hash)?.status ?? 'pending';
        if (status === e.status) continue;
        touched = true;
        const next = deepFreeze({ ...e, status, usable: status === 'approved' });
        entries.set(tool, next);
        if (next.usable !== e.usable) changed.add(e.name);
        if (e.usable && !next.usable) {
          this.#emitQuarantine({ name: e.name, source: e.source, hash: e.hash, previousHash: e.hash, status, reason: 'revoked', findings: e.findings });
        }
        this.#log.info({ tool: e.name, hash: e.hash, status }, 'tool approval status changed');
      }
    }
    if (touched) this.#publish(changed);
  }

  /** Approves a version (admin API); see approvals.ts for which version is meant without a hash. */
  approve(publicName: string, d: { hash?: string | undefined; by: string; note?: string | null | undefined }): Promise<DecisionResult> {
    return this.#decide(publicName, 'approved', d);
  }

  reject(publicName: string, d: { hash?: string | undefined; by: string; note?: string | null | undefined }): Promise<DecisionResult> {
    return this.#decide(publicName, 'rejected', d);
  }

  async #decide(publicName: string, status: 'approved' | 'rejected', d: { hash?: string | undefined; by: string; note?: string | null | undefined }): Promise<DecisionResult> {
    const now = this.#now();
    const result = await withBusyRetry(() => decideToolVersion(this.#state, publicName, { status, hash: d.hash, by: d.by, note: d.note ?? null, now }));
    this.refreshApprovals();
    const v = result.before;
    this.#record(status === 'approved' ? 'tool.approved' : 'tool.rejected', publicName, 'allow', d.note ?? null, {
      upstream: v.upstream,
      tool: v.tool,
      hash: v.hash,
      previousStatus: v.status,
      changed: result.changed,
      actor: d.by,
    });
    return result;
  }

  async #ingest(upstreamId: string, tools: readonly unknown[], settings: UpstreamToolSettings): Promise<IngestResult> {
    if (settings.prefix === false) this.#unprefixed.add(upstreamId);
    const previous = this.#byUpstream.get(upstreamId) ?? new Map<string, ToolEntry>();
    const skipped: IngestResult['skipped'] = [];
    const skip = (tool: string | null, reason: string): void => {
      skipped.push({ tool, reason });
      this.#reportOnce(upstreamId, tool, reason);
    };
    const candidates = this.#candidates(upstreamId, tools, settings, previous, skip);

    // Versions new to the store, or newly offered in this process, are written in one transaction.
    const toWrite = candidates.filter((c) => c.needsWrite);
    const written = await withBusyRetry(
      () =>
        this.#approvals.offer(
          toWrite.map((c) => ({ upstream: upstreamId, tool: c.tool, hash: c.hash, publicName: c.name, definition: c.canonical, findings: c.findings })),
          { autoApprove: settings.autoApprove, now: this.#now() },
        ),
      30_000,
    );
    const outcome = new Map(toWrite.map((c, i) => [c, written[i]!]));

    const next = new Map<string, ToolEntry>();
    const changed = new Set<string>();
    for (const c of candidates) {
      const { prev, tool, name, hash, risk, findings, upstreamDefinition, beforeHash } = c;
      const w = outcome.get(c);
      // Read after the write: a refreshApprovals() during it may have brought a newer decision.
      const status = w?.status ?? this.#approvals.version(upstreamId, tool, hash)?.status ?? 'pending';
      const usable = status === 'approved';
      const listed = !settings.unlisted?.has(tool);
      const entry: ToolEntry =
        prev && prev.hash === hash && prev.risk === risk && prev.status === status && prev.listed === listed
          ? prev
          : deepFreeze({
              name,
              source: { kind: settings.kind ?? 'mcp', upstream: upstreamId, name: tool },
              definition: {
                ...upstreamDefinition,
                name,
                annotations: settings.kind === 'openapi' ? upstreamDefinition.annotations : exposedAnnotations(upstreamDefinition.annotations, risk),
              },
              upstreamDefinition,
              hash,
              risk,
              status,
              usable,
              listed,
              findings,
            });
      next.set(tool, entry);
      if (exposure(prev) !== exposure(entry)) changed.add(name);

      const versionChanged = beforeHash !== null && beforeHash !== hash;
      const details = { upstream: upstreamId, tool, hash, status, risk, autoApproved: w?.autoApproved ?? false, findings: findingsSummary(findings) };
      const reason = usable ? null : status === 'rejected' ? 'this definition was rejected' : 'awaiting approval';
      if (!c.toolKnown) {
        this.#record('tool.discovered', name, usable ? 'allow' : 'deny', reason, details);
      } else if (versionChanged && (w?.inserted || prev !== undefined)) {
        const old = prev?.upstreamDefinition ?? this.#storedDefinition(upstreamId, tool, beforeHash);
        const diff = old ? diffDefinitions(old, upstreamDefinition) : null;
        this.#record('tool.definition.changed', name, usable ? 'allow' : 'deny', reason, { ...details, oldHash: beforeHash, ...(diff ? { diff } : {}) });
      }
      // Once per quarantine: when first registered in this process, or when it stops being usable.
      if (!usable && (prev === undefined || prev.usable || prev.hash !== hash)) {
        this.#emitQuarantine({ name, source: entry.source, hash, previousHash: beforeHash, status, reason: versionChanged ? 'changed' : 'new', findings });
      }
    }

    let same = next.size === previous.size;
    for (const [tool, e] of previous) {
      if (next.get(tool) !== e) same = false;
      if (next.has(tool)) continue;
      if (e.usable) changed.add(e.name);
      this.#record('tool.removed', e.name, 'allow', 'no longer listed by the upstream', { upstream: upstreamId, tool, hash: e.hash });
    }
    this.#byUpstream.set(upstreamId, next);
    // A periodic re-listing that changed nothing keeps the published arrays (and their identity).
    if (!same) this.#publish(changed);
    const registered = next.size;
    let usableCount = 0;
    for (const e of next.values()) if (e.usable) usableCount++;
    return { registered, usable: usableCount, skipped };
  }

  /** Validates, names, pins and scans a listing's tools; what is already known is read from the in-memory views. */
  #candidates(
    upstreamId: string,
    tools: readonly unknown[],
    settings: UpstreamToolSettings,
    previous: ReadonlyMap<string, ToolEntry>,
    skip: (tool: string | null, reason: string) => void,
  ): Candidate[] {
    const out: Candidate[] = [];
    const listed = new Set<string>();
    const claimed = new Map<string, string>();
    for (const raw of tools) {
      const invalid = invalidToolReason(raw);
      if (invalid !== null) {
        const name = (raw as { name?: unknown } | null)?.name;
        skip(typeof name === 'string' ? name : null, invalid);
        continue;
      }
      const upstreamDefinition = raw as Record<string, unknown>;
      const tool = upstreamDefinition.name as string;
      if (listed.has(tool)) {
        skip(tool, 'listed twice by the upstream');
        continue;
      }
      listed.add(tool);
      const outOfNamespace = settings.prefix === false ? unprefixedNameProblem(tool) : null;
      if (outOfNamespace !== null) {
        skip(tool, outOfNamespace);
        continue;
      }
      const name = publicToolName(settings.prefix === false ? null : upstreamId, tool);
      const holder = claimed.get(name) ?? this.#otherHolder(name, upstreamId);
      if (holder !== undefined) {
        skip(tool, `public name ${name} is already taken by ${holder}`);
        continue;
      }
      claimed.set(name, tool);
      const pinned = hashDefinition(upstreamDefinition);
      if (!pinned.ok) {
        skip(tool, pinned.reason);
        continue;
      }
      const prev = previous.get(tool);
      const hash = pinned.hash;
      const findings = prev?.hash === hash ? prev.findings : scanDefinition(upstreamDefinition);
      const knownVersion = this.#approvals.version(upstreamId, tool, hash);
      const cleanPending = settings.autoApprove && findings.length === 0 && knownVersion?.status === 'pending';
      out.push({
        upstreamDefinition,
        tool,
        name,
        hash,
        canonical: pinned.canonical,
        risk: settings.riskOf ? settings.riskOf(tool) : riskClassFor(settings.risk, tool),
        findings,
        prev,
        toolKnown: prev !== undefined || this.#approvals.knows(upstreamId, tool),
        beforeHash: prev?.hash ?? this.#approvals.currentApproved(upstreamId, tool)?.hash ?? null,
        // A restart re-reads known versions without writing; a switch while running moves last_offered.
        needsWrite: knownVersion === undefined || cleanPending || (prev !== undefined && prev.hash !== hash),
      });
    }
    return out;
  }

  /** A stored version's definition (for the diff when this process never saw the old version, e.g. after a restart). */
  #storedDefinition(upstream: string, tool: string, hash: string): Record<string, unknown> | null {
    const v = this.#approvals.version(upstream, tool, hash);
    const row = v && this.#state.listToolVersions({ publicName: v.publicName }).find((r) => r.upstream === upstream && r.tool === tool && r.hash === hash);
    return row ? (JSON.parse(row.definition) as Record<string, unknown>) : null;
  }

  #otherHolder(name: string, upstreamId: string): string | undefined {
    const e = this.#byName.get(name);
    return e && e.source.upstream !== upstreamId ? `${e.source.upstream}/${e.source.name}` : undefined;
  }

  #reportOnce(upstreamId: string, tool: string | null, reason: string): void {
    let seen = this.#reported.get(upstreamId);
    if (!seen) this.#reported.set(upstreamId, (seen = new Set()));
    const k = `${tool ?? ''}\u0000${reason}`;
    if (seen.has(k)) return;
    seen.add(k);
    this.#log.error({ upstream: upstreamId, tool, reason }, 'upstream tool refused');
    this.#record('tool.refused', tool === null ? null : publicToolName(this.#unprefixed.has(upstreamId) ? null : upstreamId, tool), 'deny', reason, { upstream: upstreamId, tool });
  }

  #publish(changed: Set<string>): void {
    const byName = new Map<string, ToolEntry>();
    for (const entries of this.#byUpstream.values()) for (const e of entries.values()) byName.set(e.name, e);
    const all = [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    this.#byName = byName;
    this.#all = Object.freeze(all);
    this.#usable = Object.freeze(all.filter((e) => e.usable));
    if (changed.size === 0) return;
    for (const l of this.#listeners.changed) this.#safely(() => l(changed));
  }

  #emitQuarantine(e: QuarantineEvent): void {
    this.#log.warn({ tool: e.name, hash: e.hash, previousHash: e.previousHash, reason: e.reason, findings: e.findings.length }, 'tool quarantined');
    for (const l of this.#listeners.quarantined) this.#safely(() => l(e));
  }

  #safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.error({ err }, 'tool registry listener failed');
    }
  }

  /** Quarantine decisions are audited without holding up the listing; a failed append is logged. */
  #record(action: string, target: string | null, decision: 'allow' | 'deny', reason: string | null, details: Record<string, unknown>): void {
    const event: AuditEventInput = { time: this.#now(), requestId: `registry-${randomUUID()}`, channel: 'mcp', action, target, decision, reason, details };
    this.#audit.append(event).catch((err: unknown) => this.#log.error({ err, action, target }, 'tool registry audit event could not be committed'));
  }

  #serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn);
    this.#queue = run.catch(() => undefined);
    return run;
  }
}

/** One listed tool on its way into the registry. */
interface Candidate {
  upstreamDefinition: Record<string, unknown>;
  tool: string;
  name: string;
  hash: string;
  canonical: string;
  risk: RiskClass;
  findings: readonly Finding[];
  prev: ToolEntry | undefined;
  /** The store or this process knew some version of the tool before this listing. */
  toolKnown: boolean;
  /** The version offered before in this process, else the tool's current approved version. */
  beforeHash: string | null;
  needsWrite: boolean;
}

/** What a client could observe of an entry: nothing unless usable; then its hash and risk class. */
function exposure(e: ToolEntry | undefined): string | null {
  return e?.usable ? `${e.hash}/${e.risk}/${e.listed}` : null;
}

/** Findings as stored in audit details: rule, path and excerpt (already clipped and made visible). */
function findingsSummary(findings: readonly Finding[]): Finding[] | undefined {
  return findings.length === 0 ? undefined : findings.slice(0, 20);
}

/** The error for a call to a registered tool that is not usable. */
export function quarantinedToolError(entry: ToolEntry): GatewayError {
  const why = entry.status === 'rejected' ? 'its current definition was rejected by an administrator' : 'its definition is new or changed and awaits approval';
  return new GatewayError('FORBIDDEN', `Tool "${entry.name}" is quarantined: ${why}`, { details: { tool: entry.name, status: entry.status, hash: entry.hash } });
}

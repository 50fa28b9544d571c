import { GatewayError } from '../../errors/gateway-error.js';
import type { StateStore, ToolVersionRow, ToolVersionState, ToolVersionStatus } from '../../state/state-store.js';
import type { Finding } from './injection-scan.js';

/**
 * The approval rules for tool versions (one version = one definition hash of one upstream
 * tool), on top of the state database's `tool_versions` table:
 *
 * - a version seen for the first time is `pending`, or `approved` (by `auto-approve`) when
 *   its upstream is configured autoApprove and the scan found nothing;
 * - a tool is usable only while the version its upstream offers NOW is approved: a changed
 *   definition is a new version, pending, so the tool is quarantined even though an older
 *   version was approved; an upstream going back to an approved version is usable again;
 * - approving a version makes it the tool's current approved version (the newest approval);
 *   rejecting keeps it hidden for good (until someone approves it); neither is ever undone
 *   by autoApprove.
 */

/** Who decides automatically (recorded in decided_by). */
export const AUTO_APPROVER = 'auto-approve';

const key = (upstream: string, tool: string): string => `${upstream}\u0000${tool}`;

/** The registry's in-memory view of every version's status (no definitions), reloaded from the store on demand. */
export class ApprovalCache {
  readonly #store: StateStore;
  #byTool = new Map<string, Map<string, ToolVersionState>>();

  constructor(store: StateStore) {
    this.#store = store;
    this.reload();
  }

  reload(): void {
    const next = new Map<string, Map<string, ToolVersionState>>();
    for (const v of this.#store.listToolVersionStates()) {
      const k = key(v.upstream, v.tool);
      let versions = next.get(k);
      if (!versions) next.set(k, (versions = new Map()));
      versions.set(v.hash, v);
    }
    this.#byTool = next;
  }

  version(upstream: string, tool: string, hash: string): ToolVersionState | undefined {
    return this.#byTool.get(key(upstream, tool))?.get(hash);
  }

  /** True when the store has any version of this tool. */
  knows(upstream: string, tool: string): boolean {
    return this.#byTool.has(key(upstream, tool));
  }

  /** The tool's current approved version: the one approved last. */
  currentApproved(upstream: string, tool: string): ToolVersionState | undefined {
    return newestApproved(this.#byTool.get(key(upstream, tool))?.values() ?? []);
  }

  /**
   * Writes the versions an upstream now offers (a new one with its initial status) in one
   * transaction and updates the view. Synchronous; the caller retries on SQLITE_BUSY.
   */
  offer(versions: readonly OfferedVersion[], opts: { autoApprove: boolean; now: number }): OfferResult[] {
    const rows = versions.map((v): Omit<ToolVersionRow, 'lastOffered'> => {
      const auto = opts.autoApprove && v.findings.length === 0;
      return {
        upstream: v.upstream,
        tool: v.tool,
        hash: v.hash,
        publicName: v.publicName,
        definition: v.definition,
        findings: JSON.stringify(v.findings),
        status: auto ? 'approved' : 'pending',
        firstSeen: opts.now,
        decidedAt: auto ? opts.now : null,
        decidedBy: auto ? AUTO_APPROVER : null,
        note: null,
      };
    });
    const stored = rows.length === 0 ? [] : this.#store.offerToolVersions(rows);
    return stored.map(({ inserted, current }, i) => {
      const v = versions[i]!;
      let state = current;
      let autoApproved = inserted && rows[i]!.status === 'approved';
      // A version left pending while the upstream was not trusted is approved once it is, if it is clean.
      if (!inserted && opts.autoApprove && v.findings.length === 0 && current.status === 'pending') {
        if (this.#store.decideToolVersion(v, { status: 'approved', by: AUTO_APPROVER, note: null, at: opts.now }, ['pending'])) {
          autoApproved = true;
          state = { ...current, status: 'approved', decidedAt: opts.now, decidedBy: AUTO_APPROVER, note: null };
        }
      }
      const k = key(v.upstream, v.tool);
      let known = this.#byTool.get(k);
      if (!known) this.#byTool.set(k, (known = new Map()));
      known.set(v.hash, state);
      return { status: state.status, inserted, autoApproved };
    });
  }
}

export interface OfferedVersion {
  upstream: string;
  tool: string;
  hash: string;
  publicName: string;
  /** Canonical JSON of the upstream's definition. */
  definition: string;
  findings: readonly Finding[];
}

export interface OfferResult {
  status: ToolVersionStatus;
  inserted: boolean;
  autoApproved: boolean;
}

/** Which versions a decision may move from. */
const DECIDABLE_FROM: Record<'approved' | 'rejected', readonly ToolVersionStatus[]> = {
  approved: ['pending', 'rejected'],
  rejected: ['pending', 'approved'],
};

export interface Decision {
  status: 'approved' | 'rejected';
  /** Full hash or an unambiguous prefix of at least 8 hex characters; absent: the tool's only pending version. */
  hash?: string | undefined;
  by: string;
  note?: string | null | undefined;
  now: number;
}

export interface DecisionResult {
  /** The version as it was before the decision. */
  before: ToolVersionRow;
  changed: boolean;
}

/**
 * Approves or rejects one version of a tool (by public name), the same way for the CLI and
 * the admin API. Without a hash it takes the tool's single pending version, and refuses
 * when there are several (the upstream changed again since the admin looked): approving
 * always names what was reviewed. Synchronous; the gateway wraps it in withBusyRetry.
 */
export function decideToolVersion(store: StateStore, publicName: string, d: Decision): DecisionResult {
  const versions = store.listToolVersions({ publicName });
  if (versions.length === 0) throw new GatewayError('NOT_FOUND', `No tool "${publicName}" has been seen`);
  const target = pickVersion(publicName, versions, d.hash, d.status);
  const changed = store.decideToolVersion(target, { status: d.status, by: d.by, note: d.note ?? null, at: d.now }, DECIDABLE_FROM[d.status]);
  return { before: target, changed };
}

function pickVersion(publicName: string, versions: ToolVersionRow[], hash: string | undefined, wanted: ToolVersionStatus): ToolVersionRow {
  if (hash !== undefined) {
    const h = hash.toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(h)) throw new GatewayError('INVALID_PARAMS', 'hash must be 8-64 hex characters (a prefix of the version hash)');
    const matches = versions.filter((v) => v.hash.startsWith(h));
    if (matches.length === 1) return matches[0]!;
    if (matches.length === 0) throw new GatewayError('NOT_FOUND', `Tool "${publicName}" has no version ${h}`);
    throw new GatewayError('INVALID_PARAMS', `Hash prefix ${h} matches ${matches.length} versions of "${publicName}"; give more characters`);
  }
  const pending = versions.filter((v) => v.status === 'pending');
  if (pending.length === 1) return pending[0]!;
  if (pending.length === 0) {
    // Deciding again what is already decided is a no-op (scripts may re-run), not an error.
    const offered = versions.reduce((a, b) => (b.lastOffered > a.lastOffered ? b : a));
    if (offered.status === wanted) return offered;
    throw new GatewayError('INVALID_PARAMS', `Tool "${publicName}" has no pending version; name one with its hash`);
  }
  throw new GatewayError('INVALID_PARAMS', `Tool "${publicName}" has ${pending.length} pending versions (${pending.map((v) => v.hash.slice(0, 12)).join(', ')}); name one with its hash`, {
    details: { pending: pending.map((v) => v.hash) },
  });
}

/** The approved version decided last (the tool's current approved version), if any. */
export function newestApproved<T extends { status: ToolVersionStatus; decidedAt: number | null }>(versions: Iterable<T>): T | undefined {
  let best: T | undefined;
  for (const v of versions) if (v.status === 'approved' && (best === undefined || (v.decidedAt ?? 0) > (best.decidedAt ?? 0))) best = v;
  return best;
}

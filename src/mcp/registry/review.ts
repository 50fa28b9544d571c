import type { StateStore, ToolVersionRow, ToolVersionStatus } from '../../state/state-store.js';
import { newestApproved } from './approvals.js';
import { diffDefinitions, type DefinitionDiff } from './definition-hash.js';
import type { Finding } from './injection-scan.js';

/**
 * What an approver sees of tool versions, shared by `warden tools` and the admin API:
 * the stored decision, the scan's findings, and for review the full raw definition and
 * what changed since the tool's current approved version.
 */
export interface ToolVersionView {
  name: string;
  upstream: string;
  tool: string;
  hash: string;
  status: ToolVersionStatus;
  findings: Finding[];
  firstSeen: string;
  lastOffered: string;
  decidedAt: string | null;
  decidedBy: string | null;
  note: string | null;
}

export interface ToolReview extends ToolVersionView {
  /** Exactly what the upstream listed. */
  definition: Record<string, unknown>;
  /** The tool's current approved version, when there is one. */
  approvedHash: string | null;
  changesSinceApproved: DefinitionDiff | null;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function versionView(row: ToolVersionRow): ToolVersionView {
  return {
    name: row.publicName,
    upstream: row.upstream,
    tool: row.tool,
    hash: row.hash,
    status: row.status,
    findings: JSON.parse(row.findings) as Finding[],
    firstSeen: iso(row.firstSeen)!,
    lastOffered: iso(row.lastOffered)!,
    decidedAt: iso(row.decidedAt),
    decidedBy: row.decidedBy,
    note: row.note,
  };
}

/** Every stored version (optionally of one tool or status), oldest offer first within a tool. */
export function listVersionViews(store: StateStore, filter: { publicName?: string; status?: ToolVersionStatus } = {}): ToolVersionView[] {
  return store.listToolVersions(filter).map(versionView);
}

/** The pending versions with everything needed to decide on them. */
export function pendingReviews(store: StateStore, publicName?: string): ToolReview[] {
  const pending = store.listToolVersions({ status: 'pending', ...(publicName !== undefined ? { publicName } : {}) });
  const approvedByName = new Map<string, ToolVersionRow | undefined>();
  return pending.map((row) => {
    if (!approvedByName.has(row.publicName)) {
      const siblings = store.listToolVersions({ publicName: row.publicName }).filter((v) => v.upstream === row.upstream && v.tool === row.tool);
      approvedByName.set(row.publicName, newestApproved(siblings));
    }
    const approved = approvedByName.get(row.publicName);
    const definition = JSON.parse(row.definition) as Record<string, unknown>;
    return {
      ...versionView(row),
      definition,
      approvedHash: approved?.hash ?? null,
      changesSinceApproved: approved ? diffDefinitions(JSON.parse(approved.definition), definition) : null,
    };
  });
}

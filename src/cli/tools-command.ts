import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { auditDbPath, stateDbPath } from '../data-paths.js';
import { appendDirect, openAuditDb } from '../audit/index.js';
import type { LoadedConfig } from '../config/load.js';
import { GatewayError } from '../errors/gateway-error.js';
import { decideToolVersion } from '../mcp/registry/approvals.js';
import { listVersionViews, pendingReviews, type ToolReview } from '../mcp/registry/review.js';
import { makeVisible, visibleJson } from '../mcp/registry/visible-text.js';
import { StateStore, type ToolVersionStatus } from '../state/state-store.js';
import { configFrom, parse, printTable, UsageError, type Io, cliActor } from './common.js';
import { applyInRunningGateway } from './live-gateway.js';

export const TOOLS_HELP = `warden tools <verb>
  list [--status pending|approved|rejected] [--json]
                                         every version of every upstream tool seen, with its decision
  pending [name] [--json]                pending versions in full: raw definition, scan findings,
                                         changes since the tool's approved version
  approve <name> [--hash H] [--note N]   approve a version (default: the tool's only pending one)
  reject <name> [--hash H] [--note N]    reject a version: the tool stays hidden while it is offered
<name> is the public name (upstream__tool); H a hash or a prefix of at least 8 hex characters.
All verbs work whether or not the gateway is running; a running gateway has applied a decision
when the command returns.`;

const STATUSES: readonly ToolVersionStatus[] = ['pending', 'approved', 'rejected'];

/**
 * `warden tools ...`: reviews and decides upstream tool versions in the state database
 * directly (a running gateway notices the change), auditing each decision in the same
 * hash chain as the gateway.
 */
export async function toolsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    status: { type: 'string' },
    hash: { type: 'string' },
    note: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.out.write(`${TOOLS_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const [verb, name, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
  if (values.status !== undefined && !STATUSES.includes(values.status as ToolVersionStatus)) throw new UsageError('--status must be pending, approved or rejected');
  const config = await configFrom(values);
  if (!existsSync(stateDbPath(config.dataDir))) {
    io.err.write(`no state database in ${config.dataDir}: no upstream tool has been seen yet\n`);
    return verb === 'list' || verb === 'pending' ? 0 : 1;
  }
  const state = StateStore.open(stateDbPath(config.dataDir));
  try {
    switch (verb) {
      case 'list': {
        if (name !== undefined) throw new UsageError('tools list takes no name (use --status or `tools pending <name>`)');
        const rows = listVersionViews(state, values.status ? { status: values.status as ToolVersionStatus } : {});
        if (values.json) for (const r of rows) io.out.write(`${visibleJson(r)}\n`);
        else {
          const cells = rows.map((r) => ({ ...r, hash: r.hash.slice(0, 12), findings: r.findings.length, firstSeen: r.firstSeen.slice(0, 19) }));
          printTable(io.out, cells, ['name', 'status', 'hash', 'findings', 'firstSeen', 'decidedBy', 'upstream', 'tool'], { maxWidth: { tool: 60 } });
        }
        return 0;
      }
      case 'pending': {
        const reviews = pendingReviews(state, name);
        if (values.json) for (const r of reviews) io.out.write(`${visibleJson(r)}\n`);
        else if (reviews.length === 0) io.out.write('no pending tool versions\n');
        else for (const r of reviews) io.out.write(renderReview(r));
        return 0;
      }
      case 'approve':
      case 'reject':
        return await decide(config, state, io, verb === 'approve' ? 'approved' : 'rejected', required(name), values.hash, values.note);
      default:
        throw new UsageError(`unknown verb: tools ${positionals.join(' ')}`);
    }
  } finally {
    state.close();
  }
}

function required(name: string | undefined): string {
  if (!name) throw new UsageError('missing tool name (upstream__tool, see `warden tools list`)');
  return name;
}

async function decide(config: LoadedConfig, state: StateStore, io: Io, status: 'approved' | 'rejected', name: string, hash: string | undefined, note: string | undefined): Promise<number> {
  // Opened first, so an unwritable audit trail stops the decision instead of hiding it.
  const auditDb = openAuditDb(auditDbPath(config.dataDir), { durability: config.audit.durability });
  try {
    const now = Date.now();
    let result;
    try {
      result = decideToolVersion(state, name, { status, hash, by: 'cli', note: note ?? null, now });
    } catch (err) {
      if (err instanceof GatewayError) {
        // A refused decision is on the record too: reviewers see attempts, not only outcomes.
        recordDecision(auditDb, now, status, name, {
          decision: 'deny',
          code: err.code,
          reason: err.message.slice(0, 500),
          details: { ...cliActor(), ...(hash !== undefined ? { hash: hash.slice(0, 64) } : {}) },
        });
        io.err.write(`${makeVisible(err.message)}\n`);
        return 1;
      }
      throw err;
    }
    const v = result.before;
    try {
      recordDecision(auditDb, now, status, name, {
        decision: 'allow',
        reason: note ?? null,
        details: { ...cliActor(), upstream: v.upstream, tool: v.tool, hash: v.hash, previousStatus: v.status, changed: result.changed },
      });
    } catch (err) {
      // A decision nobody can account for must not stand.
      if (result.changed) state.decideToolVersion(v, { status: v.status, by: v.decidedBy, note: v.note, at: v.decidedAt }, [status]);
      throw err;
    }
    if (result.changed) await applyInRunningGateway(config.dataDir, io);
    const verb = status === 'approved' ? 'approved' : 'rejected';
    io.out.write(result.changed ? `${verb} ${name} version ${v.hash.slice(0, 12)}\n` : `no change: ${name} version ${v.hash.slice(0, 12)} was already ${verb}\n`);
    return 0;
  } finally {
    auditDb.close();
  }
}

/** The audit record of a CLI approval or rejection, granted or refused. */
function recordDecision(
  auditDb: ReturnType<typeof openAuditDb>,
  time: number,
  status: 'approved' | 'rejected',
  name: string,
  fields: { decision: 'allow' | 'deny'; code?: string; reason: string | null; details: Record<string, unknown> },
): void {
  appendDirect(auditDb, [
    { time, requestId: `cli-${randomUUID()}`, channel: 'mcp', action: status === 'approved' ? 'tool.approved' : 'tool.rejected', target: name, ...fields },
  ]);
}

/** One pending version for a terminal: every upstream-controlled text made visible. */
function renderReview(r: ToolReview): string {
  const lines = [
    `${r.name}  (upstream ${r.upstream}, tool ${makeVisible(r.tool)})`,
    `  version ${r.hash}  first seen ${r.firstSeen}, last offered ${r.lastOffered}`,
  ];
  if (r.findings.length === 0) lines.push('  findings: none');
  else {
    lines.push(`  findings (${r.findings.length}): this version cannot be approved automatically`);
    for (const f of r.findings) lines.push(`    ! ${f.rule} at ${makeVisible(f.path)}${f.key ? ' (property name)' : ''}: ${f.excerpt}`);
  }
  if (r.approvedHash === null) lines.push('  no approved version yet: a new tool');
  else {
    const { changes, omitted } = r.changesSinceApproved!;
    lines.push(`  changes since approved version ${r.approvedHash.slice(0, 12)}:`);
    for (const c of changes) lines.push(`    ${c.kind} ${c.path}${c.old !== undefined ? `\n      - ${c.old}` : ''}${c.new !== undefined ? `\n      + ${c.new}` : ''}`);
    if (omitted > 0) lines.push(`    ... ${omitted} more`);
  }
  lines.push('  definition (as the upstream listed it, keys sorted):');
  for (const l of visibleJson(r.definition, 2).split('\n')) lines.push(`    ${l}`);
  lines.push(`  decide: warden tools approve ${r.name} --hash ${r.hash.slice(0, 16)}   |   warden tools reject ${r.name} --hash ${r.hash.slice(0, 16)}`, '');
  return `${lines.join('\n')}\n`;
}

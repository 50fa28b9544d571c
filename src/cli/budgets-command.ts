import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { auditDbPath, stateDbPath } from '../data-paths.js';
import { appendDirect, openAuditDb } from '../audit/index.js';
import { allBudgetSpecs } from '../budget/budget-specs.js';
import { budgetLines, readSaved, type BudgetLine } from '../budget/budget-view.js';
import { loadCatalog } from '../catalog/index.js';
import type { LoadedConfig } from '../config/load.js';
import { StateStore } from '../state/state-store.js';
import { cliActor, configFrom, parse, printTable, UsageError, type Io } from './common.js';
import { applyInRunningGateway, askRunningGateway } from './live-gateway.js';

export const BUDGETS_HELP = `warden budgets <verb>
  status [agent] [--json]          limits, spend, reservations and what remains per budget and window
                                   (live from the admin API of the gateway serving the data
                                   folder (its gateway.json), else spend saved in state.db,
                                   reservations unknown)
  reset <agent> [--budget NAME]    forget the spend of the agent's budgets (or one of them); audited;
                                   a running gateway has applied it when the command returns`;

/** `warden budgets ...`: budget status and resets. */
export async function budgetsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { json: { type: 'boolean' }, budget: { type: 'string' } });
  if (values.help || positionals.length === 0) {
    io.out.write(`${BUDGETS_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const [verb, agentId, extra] = positionals;
  if (extra !== undefined) throw new UsageError(`unexpected argument: ${extra}`);
  const config = await configFrom(values);
  const loaded = await loadCatalog(config.catalogDir);
  if (!loaded.ok) {
    io.err.write(`the catalog in ${config.catalogDir} is invalid: run warden check\n`);
    return 1;
  }
  const catalog = loaded.catalog;
  if (agentId !== undefined && !catalog.agents.has(agentId)) {
    io.err.write(`no agent ${agentId} in ${config.catalogDir}\n`);
    return 1;
  }
  switch (verb) {
    case 'status': {
      const live = await fromGateway(config, agentId);
      let lines: BudgetLine[];
      if (live) lines = live;
      else {
        const rows = existsSync(stateDbPath(config.dataDir)) ? readRows(config) : [];
        lines = budgetLines(catalog, agentId, readSaved(rows, config.governance.timezone, Date.now()));
        if (!values.json) io.err.write('gateway not reachable: spend as saved in state.db (at most a second old), reservations unknown\n');
      }
      if (values.json) for (const l of lines) io.out.write(`${JSON.stringify(l)}\n`);
      else if (lines.length === 0) io.out.write('no budgets\n');
      else printTable(io.out, lines.map(row), ['agent', 'budget', 'window', 'limit', 'spent', 'reserved', 'remaining', 'resets']);
      return 0;
    }
    case 'reset': {
      if (agentId === undefined) throw new UsageError('missing agent id');
      const agent = catalog.agents.get(agentId)!;
      const specs = allBudgetSpecs(agent).filter((s) => values.budget === undefined || s.name === values.budget);
      if (specs.length === 0) {
        io.err.write(values.budget ? `agent ${agentId} has no budget ${values.budget}\n` : `agent ${agentId} has no budgets\n`);
        return 1;
      }
      // Opened first, so an unwritable audit trail stops the reset instead of hiding it.
      const auditDb = openAuditDb(auditDbPath(config.dataDir), { durability: config.audit.durability });
      const state = StateStore.open(stateDbPath(config.dataDir));
      let committed = false;
      try {
        const keys = specs.map((s) => s.key);
        const at = Date.now();
        state.resetBudgets(keys, at, 'cli');
        committed = true;
        appendDirect(auditDb, [
          { time: at, requestId: `cli-${randomUUID()}`, channel: 'admin', action: 'budgets.reset', agentId, target: agentId, decision: 'allow', details: { ...cliActor(), keys } },
        ]);
      } finally {
        state.close();
        auditDb.close();
        // Committed is committed: the running gateway applies it even if the record failed.
        if (committed) await applyInRunningGateway(config.dataDir, io);
      }
      io.out.write(`reset ${specs.length} budget(s) of ${agentId}: ${specs.map((s) => s.name).join(', ')}\n`);
      return 0;
    }
    default:
      throw new UsageError(`unknown verb: budgets ${verb}`);
  }
}

function readRows(config: LoadedConfig) {
  const state = StateStore.open(stateDbPath(config.dataDir));
  try {
    return state.listBudgetSpend(Date.now() - 32 * 86_400_000);
  } finally {
    state.close();
  }
}

/** The live view of the gateway serving this data folder, or null (live-gateway.ts). */
async function fromGateway(config: LoadedConfig, agentId: string | undefined): Promise<BudgetLine[] | null> {
  const query = agentId === undefined ? '' : `?${new URLSearchParams({ agent: agentId })}`;
  const answer = (await askRunningGateway(config.dataDir, `/admin/budgets${query}`)) as { budgets: BudgetLine[] } | null;
  return answer?.budgets ?? null;
}

function row(l: BudgetLine) {
  const dims = (a: Partial<Record<'tokens' | 'usd' | 'calls', number>> | null) =>
    a === null
      ? '?'
      : (['tokens', 'usd', 'calls'] as const)
          .filter((d) => l.limits[d] !== undefined)
          .map((d) => `${d === 'usd' ? `$${a[d] ?? 0}` : (a[d] ?? 0)}${d === 'usd' ? '' : ` ${d}`}`)
          .join(', ');
  return {
    agent: l.agent,
    budget: l.budget,
    window: `${l.kind} ${l.window}${l.scope === 'owner' ? ' (owner)' : ''}`,
    limit: dims(l.limits),
    spent: dims(l.spent),
    reserved: dims(l.reserved),
    remaining: dims(l.remaining),
    resets: l.windowEnd ?? 'rolling',
  };
}

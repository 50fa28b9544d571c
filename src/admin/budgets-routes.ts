import type { Request, Router } from 'express';
import { z } from 'zod';
import { allBudgetSpecs } from '../budget/budget-specs.js';
import type { BudgetService } from '../budget/budget-service.js';
import { budgetLines } from '../budget/budget-view.js';
import { GatewayError } from '../errors/gateway-error.js';
import { governed, type GovernedDeps } from '../http/governed-route.js';

export interface BudgetsAdminDeps extends GovernedDeps {
  budgets: BudgetService;
}

const ResetBody = z.strictObject({
  budget: z.string().min(1).max(63).optional().describe('Reset only the budget with this name (default: every budget of the agent)'),
});

const agentParam = (req: Request): string => String(req.params.agent ?? '');

/** `?agent=`, given at most once; any other parameter is refused (as on /admin/audit), never ignored. */
function agentFilter(req: Request): string | undefined {
  for (const name of Object.keys(req.query)) {
    if (name !== 'agent') throw new GatewayError('INVALID_PARAMS', `Unknown parameter ${name.slice(0, 60)} (expected agent)`);
  }
  const agent = req.query.agent;
  if (agent !== undefined && typeof agent !== 'string') throw new GatewayError('INVALID_PARAMS', 'agent must be given once, as a plain value');
  return agent;
}

/**
 * Budget status and resets, governed on channel `admin`:
 *   GET  /admin/budgets[?agent=]        spend, reservations and remaining per budget and window
 *   POST /admin/budgets/:agent/reset    {budget?}: forget the spend (audited)
 */
export function mountBudgetsAdmin(app: Pick<Router, 'get' | 'post'>, deps: BudgetsAdminDeps): void {
  app.get(
    '/admin/budgets',
    governed(deps, {
      channel: 'admin',
      action: 'budgets.status',
      body: 'none',
      target: (req) => (typeof req.query.agent === 'string' ? req.query.agent : null),
      handle: (ctx, req) => {
        const agent = agentFilter(req);
        if (agent !== undefined && !ctx.catalog.agents.has(agent)) throw new GatewayError('NOT_FOUND', `No agent ${agent}`);
        return { status: 200, body: { budgets: budgetLines(ctx.catalog, agent, (spec) => deps.budgets.ledger.status(spec)) } };
      },
    }),
  );
  app.post(
    '/admin/budgets/:agent/reset',
    governed(deps, {
      channel: 'admin',
      action: 'budgets.reset',
      body: 'optional-json',
      target: agentParam,
      handle: (ctx, req) => {
        const parsed = ResetBody.safeParse(ctx.payload ?? {});
        if (!parsed.success) {
          throw new GatewayError('INVALID_PARAMS', 'Invalid request body', {
            details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
          });
        }
        const id = agentParam(req);
        const agent = ctx.catalog.agents.get(id);
        if (!agent) throw new GatewayError('NOT_FOUND', `No agent ${id}`);
        const specs = allBudgetSpecs(agent).filter((s) => parsed.data.budget === undefined || s.name === parsed.data.budget);
        if (specs.length === 0) throw new GatewayError('NOT_FOUND', parsed.data.budget ? `Agent ${id} has no budget ${parsed.data.budget}` : `Agent ${id} has no budgets`);
        const keys = specs.map((s) => s.key);
        deps.budgets.reset(keys, 'admin-api');
        return { status: 200, body: { reset: keys }, subject: { agentId: id }, details: { keys } };
      },
    }),
  );
}

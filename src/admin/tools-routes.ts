import express, { type Request, type Router } from 'express';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.js';
import { governed, type GovernedDeps } from '../http/governed-route.js';
import { pendingReviews, versionView } from '../mcp/registry/review.js';
import type { ToolEntry, ToolRegistry } from '../mcp/registry/tool-registry.js';
import type { ForwardResult } from '../pipeline/policy.js';
import type { StateStore } from '../state/state-store.js';

export interface ToolsAdminDeps extends GovernedDeps {
  registry: ToolRegistry;
  state: StateStore;
}

const DecisionBody = z.strictObject({
  hash: z
    .string()
    .regex(/^[0-9a-fA-F]{8,64}$/, 'a version hash or a prefix of at least 8 hex characters')
    .optional()
    .describe('Default: the tool\'s only pending version'),
  note: z.string().max(500).optional(),
});

/** What the admin API shows of a registered tool (the gateway's current view). */
function entryView(e: ToolEntry) {
  return {
    name: e.name,
    upstream: e.source.upstream,
    tool: e.source.name,
    status: e.status,
    usable: e.usable,
    risk: e.risk,
    hash: e.hash,
    findings: e.findings,
    definition: e.definition,
  };
}

const param = (req: Request): string => String(req.params.name ?? '');
const ok = (body: unknown, details?: Record<string, unknown>, reason?: string): ForwardResult => ({
  status: 200,
  body,
  ...(details ? { details } : {}),
  ...(reason ? { reason } : {}),
});

/**
 * The tool-approval admin API, every route governed on channel `admin` like the rest of
 * /admin (and each decision also recorded by the registry as `tool.approved`/`tool.rejected`
 * on channel `mcp`):
 *   GET  /admin/tools                  registered tools, usable or not
 *   GET  /admin/tools/pending          pending versions in full (definition, findings, diff)
 *   POST /admin/tools/:name/approve    {hash?, note?}
 *   POST /admin/tools/:name/reject     {hash?, note?}
 * Registers on `app` directly (so the app's 405 handling sees the paths), or use
 * toolsAdminRoutes() for a Router.
 */
export function mountToolsAdmin(app: Pick<Router, 'get' | 'post'>, deps: ToolsAdminDeps): void {
  app.get('/admin/tools', governed(deps, {
    channel: 'admin', action: 'tools.list', body: 'none',
    handle: () => ok({ tools: deps.registry.list().map(entryView) }),
  }));
  app.get('/admin/tools/pending', governed(deps, {
    channel: 'admin', action: 'tools.pending', body: 'none',
    handle: () => ok({ pending: pendingReviews(deps.state) }),
  }));
  for (const [verb, status] of [['approve', 'approved'], ['reject', 'rejected']] as const) {
    app.post(`/admin/tools/:name/${verb}`, governed(deps, {
      channel: 'admin', action: `tools.${verb}`, body: 'optional-json', target: param,
      handle: async (ctx, req) => {
        const parsed = DecisionBody.safeParse(ctx.payload ?? {});
        if (!parsed.success) {
          throw new GatewayError('INVALID_PARAMS', 'Invalid request body', {
            details: { issues: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
          });
        }
        const { hash, note } = parsed.data;
        const name = param(req);
        const decide = status === 'approved' ? deps.registry.approve.bind(deps.registry) : deps.registry.reject.bind(deps.registry);
        const { before, changed } = await decide(name, { hash, note: note ?? null, by: 'admin-api' });
        const after = deps.state.listToolVersions({ publicName: name }).find((v) => v.upstream === before.upstream && v.tool === before.tool && v.hash === before.hash);
        return ok(
          { version: after ? versionView(after) : versionView(before), changed, current: deps.registry.get(name) ? entryView(deps.registry.get(name)!) : null },
          { hash: before.hash, previousStatus: before.status, changed },
          note,
        );
      },
    }));
  }
}

/** The same routes on their own Router (strict, case-sensitive routing like the app). */
export function toolsAdminRoutes(deps: ToolsAdminDeps): Router {
  const router = express.Router({ strict: true, caseSensitive: true });
  mountToolsAdmin(router, deps);
  return router;
}

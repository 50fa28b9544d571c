import type { Express, Request } from 'express';
import { z } from 'zod';
import type { Catalog } from '../catalog/index.js';
import { GatewayError } from '../errors/gateway-error.js';
import { governed, type GovernedDeps } from '../http/governed-route.js';
import { publicKeyView, type KeyRegistry } from '../keys/key-registry.js';
import { CreateKeyOptions, expiryFrom } from '../keys/key-expiry.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ForwardResult } from '../pipeline/policy.js';
import { effectiveStatus, type SuspensionIndex } from '../state/suspension-index.js';
import type { StateStore } from '../state/state-store.js';
import { withBusyRetry } from '../state/busy-retry.js';

export interface AdminDeps extends GovernedDeps {
  keys: KeyRegistry;
  suspensions: SuspensionIndex;
  state: StateStore;
  now: () => number;
  /** Re-reads what other processes (the CLI) committed to state.db; whether anything changed. */
  applyStateChanges: () => boolean;
  /** After an admin-API resume: the loop guard forgets the history of agents it had suspended. */
  onResumed: () => void;
  catalogStatus: () => Record<string, unknown>;
  /** Runs off the event loop; throws INVALID_PARAMS for a bad query. */
  queryAudit: (query: Record<string, unknown>) => Promise<unknown[]>;
}

const SuspendBody = z.strictObject({ reason: z.string().max(500).optional() });

function parseBody<T>(schema: z.ZodType<T>, payload: unknown): T {
  const r = schema.safeParse(payload ?? {});
  if (!r.success) {
    throw new GatewayError('INVALID_PARAMS', 'Invalid request body', {
      details: { issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  return r.data;
}

function agentOr404(catalog: Catalog, id: string) {
  const agent = catalog.agents.get(id);
  if (!agent) throw new GatewayError('NOT_FOUND', `No agent "${id}" in the catalog`);
  return agent;
}

const ok = (body: unknown, status = 200, details?: Record<string, unknown>): ForwardResult => ({ status, body, ...(details ? { details } : {}) });
const param = (req: Request, name: string): string => String(req.params[name] ?? '');

/** The admin API (`/admin/...`): every route runs through the policy chain as channel `admin`. */
export function mountAdmin(app: Express, deps: AdminDeps): void {
  const agentView = (ctx: RequestContext, id: string, counts = deps.keys.activeCounts(deps.now())) => {
    const a = agentOr404(ctx.catalog, id);
    const runtime = deps.suspensions.get(id);
    return {
      id: a.id,
      displayName: a.displayName,
      owner: a.owner,
      description: a.description,
      tags: a.tags,
      fileStatus: a.status,
      status: effectiveStatus(a.status, runtime),
      runtimeSuspension: runtime ? { since: new Date(runtime.since).toISOString(), reason: runtime.reason, by: runtime.by } : null,
      activeKeys: counts.get(id) ?? 0,
    };
  };
  const byAgent = (req: Request) => param(req, 'id');

  app.get('/admin/agents', governed(deps, {
    channel: 'admin', action: 'agents.list', body: 'none',
    handle: (ctx) => {
      const counts = deps.keys.activeCounts(deps.now());
      return ok({ agents: [...ctx.catalog.agents.keys()].sort().map((id) => agentView(ctx, id, counts)) });
    },
  }));
  app.get('/admin/agents/:id', governed(deps, {
    channel: 'admin', action: 'agents.get', body: 'none', target: byAgent,
    handle: (ctx, req) => ok(agentView(ctx, param(req, 'id'))),
  }));
  app.post('/admin/agents/:id/suspend', governed(deps, {
    channel: 'admin', action: 'agents.suspend', body: 'optional-json', target: byAgent,
    handle: async (ctx, req) => {
      const id = param(req, 'id');
      agentOr404(ctx.catalog, id);
      const { reason } = parseBody(SuspendBody, ctx.payload);
      const changed = await withBusyRetry(() => deps.suspensions.suspend(id, reason ?? null, 'admin-api', deps.now()));
      return { ...ok({ ...agentView(ctx, id), changed }, 200, { changed }), subject: { agentId: id }, ...(reason ? { reason } : {}) };
    },
  }));
  app.post('/admin/agents/:id/resume', governed(deps, {
    channel: 'admin', action: 'agents.resume', body: 'optional-json', target: byAgent,
    handle: async (ctx, req) => {
      const id = param(req, 'id');
      agentOr404(ctx.catalog, id);
      const changed = await withBusyRetry(() => deps.suspensions.resume(id));
      deps.onResumed();
      return { ...ok({ ...agentView(ctx, id), changed }, 200, { changed }), subject: { agentId: id } };
    },
  }));
  app.get('/admin/agents/:id/keys', governed(deps, {
    channel: 'admin', action: 'keys.list', body: 'none', target: byAgent,
    handle: (ctx, req) => {
      // Keys outlive an agent's removal from the catalog (until revoked): list them, but an id
      // that never had keys and is not in the catalog is a typo, not an empty list.
      const id = param(req, 'id');
      const keys = deps.state.listKeys(id).map(publicKeyView);
      if (keys.length === 0) agentOr404(ctx.catalog, id);
      return ok({ keys });
    },
  }));
  app.post('/admin/agents/:id/keys', governed(deps, {
    channel: 'admin', action: 'keys.create', body: 'optional-json', target: byAgent,
    handle: async (ctx, req) => {
      const id = param(req, 'id');
      agentOr404(ctx.catalog, id);
      const b = parseBody(CreateKeyOptions, ctx.payload);
      const now = deps.now();
      const expiresAt = expiryFrom(b, now);
      if (expiresAt !== null && expiresAt <= now) throw new GatewayError('INVALID_PARAMS', 'expiresAt is in the past');
      const { key, row } = await withBusyRetry(() => deps.keys.create(id, { label: b.label ?? null, expiresAt, now }));
      // The key is in the response body only; the audit keeps its id and the body's digest.
      return {
        ...ok({ key, ...publicKeyView(row), note: 'Store this key now: it is shown once and only its hash is kept.' }, 201),
        subject: { agentId: id, keyId: row.keyId },
      };
    },
  }));
  app.delete('/admin/keys/:keyId', governed(deps, {
    channel: 'admin', action: 'keys.revoke', body: 'none', target: (req) => param(req, 'keyId'),
    handle: async (_ctx, req) => {
      const keyId = param(req, 'keyId');
      const row = deps.state.getKey(keyId);
      if (!row) throw new GatewayError('NOT_FOUND', `No key "${keyId}"`);
      const changed = await withBusyRetry(() => deps.keys.revoke(keyId, deps.now()));
      return { ...ok({ ...publicKeyView(deps.state.getKey(keyId) ?? row), changed }, 200, { changed }), subject: { agentId: row.agentId, keyId } };
    },
  }));
  app.get('/admin/catalog', governed(deps, {
    channel: 'admin', action: 'catalog.status', body: 'none',
    handle: () => ok(deps.catalogStatus()),
  }));
  // The CLI calls this after committing to state.db and waits for the answer, so that its
  // change holds for every request the gateway reads after the command returns.
  app.post('/admin/state/reload', governed(deps, {
    channel: 'admin', action: 'state.reload', body: 'none',
    handle: () => {
      const changed = deps.applyStateChanges();
      return ok({ changed }, 200, { changed });
    },
  }));
  app.get('/admin/audit', governed(deps, {
    channel: 'admin', action: 'audit.query', body: 'none',
    handle: async (_ctx, req) => ok({ records: await deps.queryAudit(req.query as Record<string, unknown>) }),
  }));
}

import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { loadAdminToken } from './admin/admin-token.js';
import { removeRuntimeFile, RUNTIME_FILE, writeRuntimeFile } from './admin/runtime-file.js';
import { RemovedAgentKeys } from './keys/removed-agents.js';
import { mountAdmin } from './admin/admin-routes.js';
import { mountToolsAdmin } from './admin/tools-routes.js';
import { mountOpenApiAdmin } from './admin/openapi-routes.js';
import { mountBudgetsAdmin } from './admin/budgets-routes.js';
import { queryAuditOffThread } from './audit/index.js';
import type { AuditEventInput, AuditSink } from './audit/record.js';
import { openAuditSink } from './audit/open-sink.js';
import { CatalogStore, type Catalog } from './catalog/index.js';
import type { LoadedConfig } from './config/load.js';
import { openOutbound } from './outbound.js';
import { ConfigError } from './config/issues.js';
import { mkdir } from 'node:fs/promises';
import { createHttpApp, httpListener } from './http/server.js';
import { handleClientError, handleConnect } from './http/client-error.js';
import { OverloadGuard } from './http/overload.js';
import { mountWhoami } from './http/whoami-route.js';
import { KeyRegistry } from './keys/key-registry.js';
import { PolicyChain } from './pipeline/chain.js';
import { buildPolicies } from './policy/index.js';
import { StateStore } from './state/state-store.js';
import { SuspensionIndex } from './state/suspension-index.js';
import { StateSync } from './state/state-sync.js';
import { isBusy, withBusyRetry } from './state/busy-retry.js';
import { McpGateway } from './mcp/mcp-gateway.js';
import { OpenApiImports } from './openapi/openapi-imports.js';
import { mcpPostHandler, mcpRouter } from './mcp/server/mcp-routes.js';
import { legacySseRouter } from './mcp/server/legacy-sse-routes.js';
import { GATEWAY_VERSION } from './version.js';
import { llmFastLane, llmRouter } from './llm/llm-routes.js';
import { RateLimiter } from './ratelimit/rate-limiter.js';
import { BudgetService } from './budget/budget-service.js';
import { LoopGuard } from './loops/loop-guard.js';
import { auditDbPath, stateDbPath } from './data-paths.js';

export interface Gateway {
  readonly url: string;
  readonly port: number;
  /** Graceful stop: readiness fails, stop accepting, drain, flush the audit, close. */
  stop(reason: string): Promise<void>;
}

/**
 * Composition root: wires config, stores, catalog, the policy chain and the HTTP surfaces,
 * then listens. Throws ConfigError (with every problem) when anything is invalid.
 */
export async function startGateway(config: LoadedConfig, log: Logger, now: () => number = Date.now): Promise<Gateway> {
  // Before anything is written: a configuration that cannot start leaves nothing behind.
  const { egress, llm, webhook } = await openOutbound(config, log);
  let adminToken: Awaited<ReturnType<typeof loadAdminToken>>;
  let audit: AuditSink;
  try {
    // Private to this user: audit trail, key hashes and the generated admin token live here.
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
    adminToken = await loadAdminToken(config.admin.token, config.dataDir, config.baseDir, (fields, message) => log.warn(fields, message));
    audit = await openAuditSink(config, log);
  } catch (err) {
    await egress.close();
    throw err;
  }
  const system = (action: string, fields: Partial<AuditEventInput> = {}) =>
    audit.append({ time: now(), requestId: `system-${randomUUID()}`, channel: 'system', action, decision: 'allow', ...fields }).catch((err: unknown) => {
      log.error({ err, action }, 'system audit event could not be committed');
    });

  // busyTimeoutMs 0: a lock held by the CLI must never block the event loop (writes retry async).
  let state: StateStore;
  try {
    state = StateStore.open(stateDbPath(config.dataDir), { busyTimeoutMs: 0 });
  } catch (err) {
    await egress.close();
    await audit.close();
    throw err;
  }
  const keys = new KeyRegistry(state);
  const suspensions = new SuspensionIndex(state);
  let mcp: McpGateway | null = null;
  let budgets: BudgetService | null = null;
  const loopGuard = new LoopGuard();
  const stateSync = new StateSync({ state, keys, suspensions, loopGuard, catalog: () => catalog.current(), mcp: () => mcp, budgets: () => budgets, log, now });
  const removedAgents = new RemovedAgentKeys({
    state,
    graceMs: config.keys.revokeRemovedAgentKeysAfterMs,
    inCatalog: (agentId) => catalog.current().agents.has(agentId),
    revoke: async (agentId) => {
      try {
        // In the database, not just the keys this process has loaded; retried while the CLI holds
        // the lock, and given up if the agent comes back meanwhile.
        const revoked = await withBusyRetry(() => (catalog.current().agents.has(agentId) ? [] : state.revokeAgentKeys(agentId, now())), 30_000);
        keys.reload();
        for (const keyId of revoked) void system('keys.revoke', { agentId, keyId, target: keyId, reason: 'agent removed from the catalog' });
        return true;
      } catch (err) {
        log.error({ err, agentId }, 'could not revoke the keys of a removed agent');
        return false;
      }
    },
    now,
    log,
  });
  let catalog: CatalogStore;
  let lastRejection: { at: string; issues: unknown[] } | null = null;
  try {
    catalog = await CatalogStore.open(config.catalogDir, {
      onReload: async (c: Catalog, diff: { added: string[]; removed: string[]; changed: string[] }) => {
        log.info({ version: c.version, agents: c.agents.size, ...diff }, 'catalog reloaded');
        mcp?.catalogChanged();
        // The folder is valid again: an older rejection no longer describes what is served.
        lastRejection = null;
        void system('catalog.reload', { target: config.catalogDir, details: { version: c.version, digest: c.digest, ...diff } });
        for (const agentId of diff.added) removedAgents.returned(agentId);
        for (const agentId of diff.removed) removedAgents.removed(agentId);
      },
      onRecovered: () => {
        lastRejection = null;
        log.info({ version: catalog.current().version }, 'catalog folder valid again; the catalog served is unchanged');
      },
      onRejected: (issues: Array<{ file: string; path: string; message: string }>) => {
        lastRejection = { at: new Date(now()).toISOString(), issues };
        log.error({ issues }, 'catalog change rejected; the previous catalog keeps serving');
        void system('catalog.reload', { decision: 'deny', code: 'BAD_REQUEST', reason: `${issues.length} problem(s) in the catalog`, target: config.catalogDir, details: { issues } });
      },
    });
  } catch (err) {
    await egress.close();
    await audit.close();
    state.close();
    throw err;
  }
  for (const w of catalog.warnings ?? []) log.warn(w, 'catalog warning');
  removedAgents.resume();

  const flushLastUsed = () => {
    try {
      keys.flushLastUsed();
    } catch (err) {
      // Kept for the next flush; a busy lock is routine while the CLI writes.
      if (!isBusy(err)) log.warn({ err }, 'could not record key last-used times');
    }
  };
  const lastUsedTimer = setInterval(flushLastUsed, 5000);
  lastUsedTimer.unref();

  mcp = new McpGateway({
    egress,
    config: config.mcp,
    state,
    audit,
    log,
    catalog: () => catalog.current(),
    version: GATEWAY_VERSION,
    ...(config.baseDir ? { baseDir: config.baseDir } : {}),
  });
  const mcpGateway = mcp;
  const imports = new OpenApiImports({
    dir: config.importsDir,
    registry: mcpGateway.registry,
    egress,
    audit,
    log,
    reservedIds: new Set(config.mcp.upstreams.map((u) => u.id)),
    ownersFile: join(config.dataDir, 'openapi-namespaces.json'),
  });
  mcpGateway.serverDeps.openapi = imports;
  let importsLoaded = false;
  budgets = new BudgetService({
    state,
    config: config.governance,
    log,
    system: (action, fields) => void system(action, fields),
    ...(webhook ? { webhook } : {}),
    now,
  });
  budgets.start();
  const budgetService = budgets;
  const rateLimiter = new RateLimiter();
  // Full buckets are forgotten, so agents that stopped calling cost no memory.
  const rateLimitPrune = setInterval(() => {
    rateLimiter.prune();
    loopGuard.prune(now());
  }, 60_000);
  rateLimitPrune.unref();
  const chain = new PolicyChain(
    buildPolicies({
      keys,
      suspensions,
      adminToken,
      now,
      mcpDirectory: () => mcpGateway,
      rateLimiter,
      loops: loopGuard,
      onLoopTrip: (ctx, agentId, trips, action) => {
        for (const t of trips) {
          const details = { rule: t.rule, action, evidence: t.evidence, requestId: ctx.requestId, ...t.details };
          log.warn({ agentId, ...details }, `loop detected: ${t.message}`);
          void system('loop.trip', { agentId, target: ctx.target, traceId: ctx.traceId, reason: t.message.slice(0, 500), details });
          webhook?.send({ type: 'loop.trip', time: new Date(now()).toISOString(), agentId, message: t.message, ...details });
        }
      },
      suspendAgent: async (agentId, reason) => {
        try {
          if (await withBusyRetry(() => suspensions.suspend(agentId, reason, 'loop-detection', now()), 2_000)) {
            stateSync.suspendedForLooping(agentId);
            void system('agents.suspend', { agentId, target: agentId, reason });
          }
        } catch (err) {
          log.error({ err, agentId }, 'could not suspend a looping agent');
        }
      },
      budgets: budgetService.ledger,
      toolCost: (tool) => budgetService.toolCost(tool),
      models: () => llm.models,
      estimator: () => llm.estimator,
    }),
    audit,
    { maxBodyReadsPerAgent: config.limits.maxBodyReadsPerAgent },
  );
  stateSync.start();
  const overload = new OverloadGuard(config.limits);
  let draining = false;

  const governedDeps = { chain, catalog: () => catalog.current(), log, maxBodyBytes: config.limits.maxBodyBytes };
  const mcpDeps = {
    ...governedDeps,
    mcp: mcpGateway.serverDeps,
    origin: { allowedOrigins: config.mcp.allowedOrigins, allowedHosts: config.mcp.allowedHosts, listenHost: config.listen.host },
  };
  const llmDeps = { ...governedDeps, llm, maxBodyBytes: config.llm.defaults.maxBodyBytes, maxChoices: config.llm.defaults.maxChoices };
  const httpDeps: Parameters<typeof createHttpApp>[0] = {
    log,
    overload,
    readiness: {
      draining: () => draining,
      notReadyReason: () => {
        if (draining) return 'shutting down';
        if (!audit.healthy()) return `audit store: ${audit.problem() ?? 'unhealthy'}`;
        if (!stateSync.writable) return 'state store is not writable';
        if (!importsLoaded) return 'loading OpenAPI imports';
        if (overload.lagging) return `event loop lagging (p99 ${overload.eventLoopP99Ms.toFixed(0)} ms)`;
        return null;
      },
    },
    mount(a) {
      mountWhoami(a, governedDeps);
      a.use(llmRouter(llmDeps));
      a.use(mcpRouter(mcpDeps));
      a.use(legacySseRouter(mcpDeps));
      mountAdmin(a, {
        ...governedDeps,
        keys,
        suspensions,
        state,
        now,
        applyStateChanges: () => stateSync.apply(),
        onResumed: () => stateSync.forgetResumed(),
        catalogStatus: () => {
          const c = catalog.current();
          return { version: c.version, digest: c.digest, loadedAt: new Date(c.loadedAt).toISOString(), agents: c.agents.size, files: c.files, lastRejection };
        },
        queryAudit: (q) => queryAuditOffThread(auditDbPath(config.dataDir), q),
      });
      mountToolsAdmin(a, { ...governedDeps, registry: mcpGateway.registry, state });
      mountOpenApiAdmin(a, { ...governedDeps, imports });
      mountBudgetsAdmin(a, { ...governedDeps, budgets: budgetService });
    },
    // The MCP call path skips express's router (about a tenth of its CPU per call).
    fastLane: () => ({ 'POST /mcp': mcpPostHandler(mcpDeps), ...llmFastLane(llmDeps) }),
  };
  const app = createHttpApp(httpDeps);
  // The timers started above, stopped alike whether listening fails or the gateway stops.
  const stopBackgroundWork = (): void => {
    removedAgents.close();
    clearInterval(lastUsedTimer);
    stateSync.close();
    clearInterval(rateLimitPrune);
    overload.close();
  };

  const server: Server = createServer(
    {
      requestTimeout: config.limits.requestTimeoutMs,
      headersTimeout: config.limits.headersTimeoutMs,
      keepAliveTimeout: 5_000,
      // Check timeouts every second, so slow-header sockets are cut close to the limit.
      connectionsCheckingInterval: 1_000,
    },
    httpListener(app, httpDeps),
  );
  server.maxConnections = config.limits.maxConnections;
  server.on('clientError', handleClientError(log));
  server.on('connect', (_req, socket) => handleConnect(socket));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.listen.port, config.listen.host, () => resolve());
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    stopBackgroundWork();
    budgetService.close();
    webhook?.close();
    await mcpGateway.close();
    await egress.close();
    await audit.close();
    state.close();
    const where = `${config.listen.host}:${config.listen.port}`;
    const message = code === 'EADDRINUSE' ? `${where} is already in use (choose another with --port or listen.port)` : `cannot listen on ${where} (${code ?? String(err)})`;
    throw new ConfigError('configuration', [{ file: config.file ?? 'warden.yaml', path: 'listen', message }]);
  }
  catalog.watch();
  // Upstreams start once the gateway listens: a start that fails (port taken) spawns nothing.
  mcpGateway.start();
  // Imports load in the background (a folder of large specs takes seconds); readiness waits for them.
  void imports
    .sync()
    .catch((err: unknown) => log.error({ err }, 'openapi imports failed to load'))
    .finally(() => {
      importsLoaded = true;
      imports.watch();
    });
  const addr = server.address() as AddressInfo;
  const url = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  if (!['127.0.0.1', '::1', 'localhost'].includes(config.listen.host)) {
    log.warn({ host: config.listen.host }, 'listening beyond loopback: make sure a firewall or TLS proxy fronts the gateway');
  }
  await system('gateway.start', { target: url, details: { agents: catalog.current().agents.size, durability: config.audit.durability } });
  await writeRuntimeFile(config.dataDir, { pid: process.pid, host: addr.address, port: addr.port, token: adminToken.issueRuntimeToken() }).catch((err: unknown) => log.warn({ err }, `could not write ${RUNTIME_FILE}: the CLI will not use the live admin API`));
  log.info({ address: addr.address, port: addr.port, url, adminToken: adminToken.source, agents: catalog.current().agents.size }, 'listening');
  // Supervisors and tests wait for this line: do not let it sit in the log buffer.
  log.flush();

  let stopping: Promise<void> | null = null;
  return {
    url,
    port: addr.port,
    stop(reason: string) {
      stopping ??= (async () => {
        draining = true;
        log.info({ reason, inFlight: overload.inFlight }, 'shutting down: draining');
        await removeRuntimeFile(config.dataDir, process.pid).catch(() => undefined);
        // Notification streams carry no work in progress: end them so the drain waits only for calls.
        mcpGateway.closeStreams();
        server.close();
        server.closeIdleConnections();
        const deadline = Date.now() + config.limits.shutdownDrainMs;
        while (overload.inFlight > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        if (overload.inFlight > 0) log.warn({ inFlight: overload.inFlight }, 'drain deadline reached; closing connections');
        server.closeAllConnections();
        await catalog.close();
        await imports.close();
        await mcpGateway.close();
        stopBackgroundWork();
        flushLastUsed();
        // Requests cut off at the deadline are still inside the chain: let their records land.
        if (!(await chain.idle(config.audit.commitWaitMs + 1000))) log.warn({ running: chain.running }, 'requests still in the chain at shutdown');
        // After the chain emptied: every reservation has settled, so the last spend is saved.
        budgetService.close();
        // Alerts of the last requests get a short chance to leave.
        if (webhook && !(await webhook.drain(5_000))) log.warn({ pending: webhook.pending }, 'alert webhook: undelivered alerts dropped at shutdown');
        webhook?.close();
        await egress.close();
        await system('gateway.stop', { reason });
        await audit.close();
        state.close();
        log.info('stopped');
      })();
      return stopping;
    },
  };
}

import { performance } from 'node:perf_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError } from '../errors/gateway-error.js';
import type { OverloadGuard } from './overload.js';
import { sendError } from './governed-route.js';
import { newRequestId, pathOf } from './request-meta.js';
import { deferredChild } from '../log/deferred-logger.js';

export interface Readiness {
  /** Null when ready, else the reason. */
  notReadyReason(): string | null;
  draining(): boolean;
}

export interface HttpAppDeps {
  log: Logger;
  overload: OverloadGuard;
  readiness: Readiness;
  /** Mounts the governed surfaces (whoami, admin; later MCP, LLM, A2A). */
  mount: (app: Express) => void;
  /**
   * Hot routes served without express (`"POST /mcp"` → handler), for an exact path with no
   * query string: the same request preparation (id, shedding, access log) runs first, and
   * the handler uses only the node API plus `res.locals` and `req.originalUrl`, which the
   * lane provides. Everything else (other methods, paths, query strings) goes to express.
   */
  fastLane?: () => Record<string, (req: Request, res: Response) => void>;
}

/** The request listener for node's http server: the fast lane first, express for the rest. */
export function httpListener(app: Express, deps: HttpAppDeps): (req: IncomingMessage, res: ServerResponse) => void {
  let lane: Record<string, (req: Request, res: Response) => void> | null = null;
  return (req, res) => {
    lane ??= deps.fastLane?.() ?? {};
    const handler = lane[`${req.method} ${req.url}`];
    if (!handler) return void app(req, res);
    const r = req as Request;
    const s = res as unknown as Response;
    (r as { originalUrl: string }).originalUrl = req.url!;
    (s as { locals: Record<string, unknown> }).locals = Object.create(null) as Record<string, unknown>;
    if (prepareRequest(deps, r, s, false)) handler(r, s);
  };
}

const HEALTH_PATHS = new Set(['/healthz', '/readyz']);

/** Builds the express app: request ids, shedding, health, the surfaces, and typed 404/405s. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Exact paths only: `/ADMIN/agents` or `/admin/agents/` must not slip past a proxy rule on `/admin`.
  app.set('case sensitive routing', true);
  app.set('strict routing', true);
  app.disable('etag');
  app.set('query parser', 'simple');

  app.use((req: Request, res: Response, next: NextFunction) => {
    if (prepareRequest(deps, req, res, HEALTH_PATHS.has(req.path))) next();
  });

  app.get('/healthz', (_req, res) => {
    res.type('application/json').send('{"status":"ok"}');
  });
  app.get('/readyz', (_req, res) => {
    const reason = deps.readiness.notReadyReason();
    if (reason) {
      res.status(503).setHeader('retry-after', '1');
      res.type('application/json').send(JSON.stringify({ status: 'not ready', reason }));
      return;
    }
    res.type('application/json').send('{"status":"ready"}');
  });

  deps.mount(app);

  // Known path, wrong method → 405 with Allow; unknown path → 404. Both in the one error shape.
  app.use((req: Request, res: Response) => {
    const allowed = allowedMethods(app, req.path);
    if (allowed.length > 0) {
      res.setHeader('allow', allowed.join(', '));
      return sendError(res, new GatewayError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here`));
    }
    sendError(res, new GatewayError('NOT_FOUND', 'No such route'));
  });

  // Last resort: anything thrown outside the chain becomes INTERNAL, logged with its cause.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: number }).status;
    if (status === 400 || status === 413) {
      return sendError(res, new GatewayError(status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST', 'Bad request'));
    }
    (res.locals.log as Logger | undefined)?.error({ err }, 'unhandled error');
    sendError(res, new GatewayError('INTERNAL', 'Internal gateway error'));
  });
  return app;
}

const accessLogs = new WeakMap<Logger, Logger>();

/**
 * The access line holds only method, masked path, status, timing and a code: nothing to
 * redact, so it skips the redaction pass (a third of a log call's cost).
 */
function accessLog(log: Logger): Logger {
  let a = accessLogs.get(log);
  if (!a) accessLogs.set(log, (a = log.child({}, { redact: [] })));
  return a;
}

/**
 * What every request gets before routing: an id, timing, a lazily-made child logger, the
 * draining/overload checks (health checks are exempt) and the access-log line. False when
 * the request was already answered (shed).
 */
function prepareRequest(deps: HttpAppDeps, req: Request, res: Response, health: boolean): boolean {
  const requestId = newRequestId();
  const startedAt = performance.now();
  res.locals.requestId = requestId;
  res.locals.receivedAt = Date.now();
  res.locals.startedAt = startedAt;
  // Most requests log one access line and nothing else: the child logger (whose bindings
  // pino serializes on creation) is made only when something logs through it.
  res.locals.log = deferredChild(deps.log, { reqId: requestId });
  res.locals.draining = deps.readiness.draining;
  res.setHeader('x-request-id', requestId);
  if (!health) {
    if (deps.readiness.draining()) {
      res.setHeader('connection', 'close');
      sendError(res, new GatewayError('OVERLOADED', 'The gateway is shutting down', { headers: { 'retry-after': '1' } }));
      return false;
    }
    const refused = deps.overload.refuse();
    if (refused) {
      (res.locals.log as Logger).warn({ reason: refused, inFlight: deps.overload.inFlight }, 'shedding request');
      sendError(res, new GatewayError('OVERLOADED', 'The gateway is overloaded; retry later', { headers: { 'retry-after': '1' } }));
      return false;
    }
    deps.overload.enter();
    // Idempotent: a response that turns into a long-lived notification stream gives its
    // slot back early (see the MCP stream quota); closing gives it back otherwise.
    let held = true;
    const releaseSlot = () => {
      if (!held) return;
      held = false;
      deps.overload.leave();
    };
    res.locals.releaseSlot = releaseSlot;
    res.on('close', releaseSlot);
  }
  res.on('finish', () => {
    if (health) return;
    const line = {
      reqId: requestId,
      method: req.method,
      path: pathOf(req.originalUrl),
      status: res.statusCode,
      ms: Math.round((performance.now() - startedAt) * 100) / 100,
      ...(res.locals.auditCode ? { code: res.locals.auditCode } : {}),
    };
    accessLog(deps.log).info(line, 'request');
  });
  return true;
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  matchers?: Array<(path: string) => unknown>;
  match?: (path: string) => boolean;
}

function allowedMethods(app: Express, path: string): string[] {
  const stack = ((app as unknown as { router?: { stack: RouterLayer[] } }).router?.stack ?? []) as RouterLayer[];
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    const matches = layer.matchers ? layer.matchers.some((m) => m(path)) : layer.match?.(path);
    if (!matches) continue;
    for (const [m, on] of Object.entries(layer.route.methods)) if (on && m !== '_all') methods.add(m.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Channel } from '../audit/record.js';
import type { Catalog } from '../catalog/index.js';
import { GatewayError, errorBody } from '../errors/gateway-error.js';
import type { PolicyChain } from '../pipeline/chain.js';
import type { RequestContext } from '../pipeline/context.js';
import type { ForwardResult, LoadPayload } from '../pipeline/policy.js';
import { readJsonBody } from './read-body.js';
import { credentialFrom, maskCredentials, pathCarriesCredential, queryCarriesCredential, traceFrom } from './request-meta.js';
import { parseHopChain } from '../loops/hop-chain.js';
import { sha256Hex } from '../util/sha256.js';
import { RequestAbort } from '../pipeline/request-abort.js';
import { merged } from '../util/merged.js';

export interface GovernedDeps {
  chain: PolicyChain;
  catalog: () => Catalog;
  log: Logger;
  maxBodyBytes: number;
}

export interface GovernedRoute {
  channel: Channel;
  action: string;
  body: 'none' | 'json' | 'optional-json';
  target?: (req: Request) => string | null;
  /** The forward step: does the work once every policy allowed it. Returns a JSON-able body. */
  handle: (ctx: RequestContext, req: Request) => Promise<ForwardResult> | ForwardResult;
}

/**
 * The thin HTTP adapter: builds the request context, runs the one policy chain, renders
 * the result. It never decides anything itself.
 */
export function governed(deps: GovernedDeps, route: GovernedRoute) {
  return async function governedHandler(req: Request, res: Response): Promise<void> {
    const { ctx, credentialProblem } = requestContext(deps, req, res, route.channel, route.action, route.target ? route.target(req) : null);
    if (credentialProblem) return send(res, await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage));
    // The body is read by the chain after the header policies (authentication) allowed it.
    let bodyDone = route.body === 'none' || !hasBody(req);
    const loadPayload: LoadPayload | undefined =
      route.body === 'none'
        ? undefined
        : async () => {
            const body = await readJsonBody(req, deps.maxBodyBytes, route.body === 'json');
            bodyDone = true;
            return { payload: body.value, bytes: body.bytes, digest: body.digest };
          };
    const outcome = await deps.chain.run(ctx, async (c) => serialize(await route.handle(c, req)), loadPayload);
    // A body left unread (refused before reading, or cut off at the limit) is not drained: close instead.
    if (!bodyDone) res.setHeader('connection', 'close');
    send(res, outcome);
  };
}

/**
 * The request context every governed surface starts from (the MCP endpoint builds its own
 * answers but starts here too), plus the credential problem the surface must refuse
 * through `chain.reject` before running the chain, if any.
 */
export function requestContext(
  deps: GovernedDeps,
  req: Request,
  res: Response,
  channel: Channel,
  action: string,
  target: string | null,
): { ctx: RequestContext; credentialProblem: { error: GatewayError; stage: string } | null } {
  const abort = new RequestAbort();
  res.on('close', () => {
    if (!res.writableFinished) abort.abort();
  });
  const { traceId, parentId } = traceFrom(req);
  const credential = credentialFrom(req);
  const credentialInPath = pathCarriesCredential(req.originalUrl);
  // Every key of RequestContext is set here, also the empty ones: the chain extends a context by
  // copying it and writing keys it has (util/merged.ts says why not a spread with new keys).
  const ctx: RequestContext = {
    requestId: res.locals.requestId as string,
    receivedAt: res.locals.receivedAt as number,
    startedAt: res.locals.startedAt as number,
    channel,
    action,
    // A target taken from a path that holds a key must not carry it into the audit trail.
    target: credentialInPath && target !== null ? maskCredentials(target) : target,
    traceId,
    parentId,
    hops: parseHopChain(typeof req.headers.tracestate === 'string' ? req.headers.tracestate : undefined),
    credential: credential === 'conflict' ? null : credential,
    catalog: deps.catalog(),
    payload: undefined,
    requestBytes: 0,
    requestDigest: null,
    abort,
    log: res.locals.log as Logger,
    principal: null,
    annotations: {},
  };
  if (credential === 'conflict') {
    return { ctx, credentialProblem: { error: new GatewayError('BAD_REQUEST', 'Two different credentials were presented; send exactly one'), stage: 'credential-conflict' } };
  }
  if (queryCarriesCredential(req.originalUrl)) {
    return {
      ctx,
      credentialProblem: {
        error: new GatewayError('BAD_REQUEST', 'Credentials in the query string are refused; use the Authorization header'),
        stage: 'credential-in-query',
      },
    };
  }
  if (credentialInPath) {
    // The message never repeats the path: the client knows what it sent.
    return {
      ctx,
      credentialProblem: {
        error: new GatewayError('BAD_REQUEST', 'A credential in the URL path is refused; send keys and tokens only in the Authorization header'),
        stage: 'credential-in-path',
      },
    };
  }
  return { ctx, credentialProblem: null };
}

export function hasBody(req: Request): boolean {
  const len = req.headers['content-length'];
  return len !== undefined ? len !== '0' : req.headers['transfer-encoding'] !== undefined;
}

function serialize(r: ForwardResult): ForwardResult<string> {
  const text = JSON.stringify(r.body);
  return merged<ForwardResult<string>>(r as Omit<ForwardResult, 'body'>, { body: text, responseBytes: Buffer.byteLength(text), responseDigest: sha256Hex(text) });
}

function send(
  res: Response,
  outcome: { ok: true; result: ForwardResult<string> } | { ok: false; error: GatewayError },
): void {
  if (res.headersSent || res.destroyed) return;
  res.locals.auditCode = outcome.ok ? null : outcome.error.code;
  closeIfDraining(res);
  if (outcome.ok) {
    res.status(outcome.result.status).type('application/json').send(outcome.result.body);
    return;
  }
  sendError(res, outcome.error);
}

/** While the gateway drains, no response may invite the client to reuse its connection. */
export function closeIfDraining(res: Response): void {
  if ((res.locals.draining as (() => boolean) | undefined)?.()) res.setHeader('connection', 'close');
}

/** Renders a GatewayError as the one JSON error shape. */
export function sendError(res: Response, err: GatewayError): void {
  if (res.headersSent) return;
  closeIfDraining(res);
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  // Plain node API: this also answers requests on the express-free fast lane (see server.ts).
  res.statusCode = err.httpStatus;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(errorBody(err, res.locals.requestId as string)));
}

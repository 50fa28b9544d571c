/**
 * The Streamable HTTP endpoint `/mcp`, for 2026-07-28 (stateless) and 2025-11-25 (session)
 * clients alike. Every POST runs through the one policy chain: authentication on the
 * headers, then the body is read and classified, then the target is authorized, then
 * the method runs (for tools/call: the upstream call). Exactly one audit record each.
 */
import { sha256Hex } from '../../util/sha256.js';
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, jsonrpcError } from '../../errors/gateway-error.js';
import { hasBody, requestContext, type GovernedDeps } from '../../http/governed-route.js';
import { readJsonBody } from '../../http/read-body.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { ForwardResult, LoadedPayload } from '../../pipeline/policy.js';
import { ClientAnswerError, type JsonRpcErrorObject, type JsonRpcId } from '../jsonrpc.js';
import { CACHEABLE_METHODS, META, MULTI_ROUND_TRIP_METHODS } from '../protocol/versions.js';
import type { CallContext, McpPayload, McpServerDeps, MethodOutcome } from './call-context.js';
import { dispatchNotification, dispatchRequest } from './dispatch.js';
import { Exchange, type Responder } from './exchange.js';
import { classifyInbound, type McpHeaders } from './inbound.js';
import { completionTarget } from './methods/completion.js';
import { acceptsMcpResponses, checkOriginAndHost, type OriginPolicy } from './origin-guard.js';
import { mcpHttpStatus } from './render-error.js';
import { SseStream } from './sse-stream.js';
import { becomeStream } from './stream-quota.js';
import { GATEWAY_VERSION } from '../../version.js';

const SERVER_INFO = { name: 'warden', version: GATEWAY_VERSION };

export interface McpRouteDeps extends GovernedDeps {
  mcp: McpServerDeps;
  origin: OriginPolicy;
}

/** Rendered JSON-RPC answer carried through the chain as the forward step's body. */
interface Rendered {
  outcome: MethodOutcome;
  json: string | null;
}

/** POST /mcp, for the express-free fast lane (exact path, no query string). */
export function mcpPostHandler(deps: McpRouteDeps): (req: Request, res: Response) => void {
  return safely((req, res) => handlePost(deps, req, res));
}

export function mcpRouter(deps: McpRouteDeps): Router {
  const router = Router({ caseSensitive: true, strict: true });
  router.post('/mcp', safely((req, res) => handlePost(deps, req, res)));
  router.get('/mcp', safely((req, res) => handleGet(deps, req, res)));
  router.delete('/mcp', safely((req, res) => handleDelete(deps, req, res)));
  router.all('/mcp', methodNotAllowed('GET, POST, DELETE'));
  return router;
}

/**
 * Another method on an MCP path: 405 with Allow, as a JSON-RPC error (a mounted router is
 * invisible to the app's own 405, which would answer 404; Express would answer OPTIONS itself).
 */
export function methodNotAllowed(allow: string) {
  return (req: Request, res: Response): void => {
    res.setHeader('allow', allow);
    sendJsonRpcError(res, null, new GatewayError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here (${allow})`));
  };
}

/**
 * Everything a handler does runs inside the chain, which never throws; this is the last
 * line should that ever change: a fault becomes a logged 500, never an unhandled rejection.
 */
export function safely(handler: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response): void => {
    handler(req, res).catch((err: unknown) => {
      (res.locals.log as Logger).error({ err }, 'MCP handler failed outside the policy chain');
      if (!res.headersSent) sendJsonRpcError(res, null, new GatewayError('INTERNAL', 'Internal gateway error'));
      else res.destroy();
    });
  };
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : Array.isArray(v) ? v[0] : undefined;
}

export function mcpHeaders(req: Request): McpHeaders {
  const h: McpHeaders = {};
  const pv = header(req, 'mcp-protocol-version');
  const m = header(req, 'mcp-method');
  const n = header(req, 'mcp-name');
  const s = header(req, 'mcp-session-id');
  if (pv !== undefined) h.protocolVersion = pv;
  if (m !== undefined) h.method = m;
  if (n !== undefined) h.name = n;
  if (s !== undefined) h.sessionId = s;
  return h;
}

/**
 * Origin/Host and Accept checks, before any credential or body is looked at. A refusal is
 * audited (a DNS-rebinding attempt is exactly what a reviewer wants to see) through
 * `chain.reject`, like every other request refused before the policies run.
 */
export async function guard(deps: McpRouteDeps, req: Request, res: Response, needsSse: boolean): Promise<boolean> {
  let refusal: { error: GatewayError; stage: string } | null = null;
  const g = checkOriginAndHost(deps.origin, { origin: header(req, 'origin'), host: header(req, 'host') });
  if (!g.ok) {
    (res.locals.log as Logger).warn({ origin: header(req, 'origin')?.slice(0, 200), host: header(req, 'host')?.slice(0, 200) }, 'MCP request refused: ' + g.reason);
    refusal = { error: new GatewayError('FORBIDDEN', `Forbidden: ${g.reason}`), stage: 'origin-guard' };
  } else {
    const accept = header(req, 'accept');
    if (needsSse ? accept !== undefined && !/text\/event-stream|\*\/\*/i.test(accept) : !acceptsMcpResponses(accept)) {
      refusal = { error: new GatewayError('NOT_ACCEPTABLE', 'Not Acceptable: the client must accept application/json and text/event-stream'), stage: 'accept' };
    }
  }
  if (!refusal) return true;
  const { ctx } = requestContext(deps, req, res, 'mcp', req.method === 'POST' ? 'mcp' : `mcp.${req.method.toLowerCase()}`, null);
  const out = await deps.chain.reject(ctx, refusal.error, refusal.stage);
  // Nothing of the body was read: close rather than drain it.
  if (hasBody(req)) res.setHeader('connection', 'close');
  sendJsonRpcError(res, null, out.error);
  return false;
}

async function handlePost(deps: McpRouteDeps, req: Request, res: Response): Promise<void> {
  if (!(await guard(deps, req, res, false))) return;
  await handleMcpMessage(deps, req, res, new Exchange(res, deps.mcp.config.maxNotificationsPerSecond), mcpHeaders(req));
}

/**
 * One posted JSON-RPC message through the chain. The responder decides where answers go
 * (this response, or a legacy SSE session stream); transport-level errors always answer
 * the POST itself.
 */
export async function handleMcpMessage(deps: McpRouteDeps, req: Request, res: Response, responder: Responder, headers: McpHeaders): Promise<void> {
  const { ctx, credentialProblem } = requestContext(deps, req, res, 'mcp', 'mcp', null);
  if (credentialProblem) {
    const out = await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage);
    return sendJsonRpcError(res, null, out.error);
  }
  const exchange = responder;
  let bodyDone = !hasBody(req);
  let requestId: JsonRpcId | null = null;

  const loadPayload = async (c: RequestContext): Promise<LoadedPayload> => {
    const body = await readJsonBody(req, deps.maxBodyBytes, true);
    bodyDone = true;
    const inbound = classifyInbound(body.value, headers);
    if (inbound.kind === 'request') requestId = (inbound.message as { id: JsonRpcId }).id;
    const method = 'method' in inbound.message ? inbound.message.method : 'response';
    const session = resolveSession(deps.mcp, c, inbound.era, method, headers);
    const payload: McpPayload = { inbound, session };
    return { payload, bytes: body.bytes, digest: body.digest, action: method, target: aimedTarget(deps.mcp, method, inbound.message) };
  };

  const outcome = await deps.chain.run(ctx, (c) => runMethod(deps.mcp, c, exchange), loadPayload, (err) =>
    exchange.upgraded ? 200 : mcpHttpStatus(err, requestId !== null),
  );
  // A streamed answer has sent its headers already: its connection closes when it ends.
  if (!res.headersSent && (!bodyDone || (res.locals.draining as (() => boolean) | undefined)?.())) res.setHeader('connection', 'close');
  if (!outcome.ok) {
    res.locals.auditCode = outcome.error.code;
    if (exchange.upgraded) return exchange.finish(200, JSON.stringify({ jsonrpc: '2.0', id: requestId, error: jsonrpcError(outcome.error, ctx.requestId) }));
    return sendJsonRpcError(res, requestId, outcome.error, exchange);
  }
  const rendered = outcome.result.body as Rendered;
  if (rendered.outcome.kind === 'accepted') return exchange.accepted();
  if (rendered.outcome.kind === 'streaming') return; // stays open; ends with the client or the gateway
  exchange.finish(200, rendered.json!);
}

/** Finds the 2025-11-25 session a request belongs to, enforcing that it is this agent's. */
function resolveSession(mcp: McpServerDeps, c: RequestContext, era: 'modern' | 'legacy', method: string, headers: McpHeaders) {
  if (era === 'modern') return null;
  if (method === 'initialize' && headers.sessionId === undefined) return null;
  if (method === 'initialize') {
    // Only a legacy HTTP+SSE session is opened before its initialize (by its GET); a Streamable HTTP one is opened by it.
    const s = mcp.sessions.get(headers.sessionId!, c.principal?.kind === 'agent' ? c.principal : null);
    if (!s) throw new GatewayError('SESSION_NOT_FOUND', 'Session not found');
    if (s.transport === 'sse' && !s.initialized) return s;
    throw new GatewayError('BAD_REQUEST', 'initialize must not carry an Mcp-Session-Id');
  }
  if (headers.sessionId === undefined) throw new GatewayError('BAD_REQUEST', 'Bad Request: Mcp-Session-Id header is required (initialize first)');
  const session = mcp.sessions.get(headers.sessionId, c.principal?.kind === 'agent' ? c.principal : null);
  if (!session) throw new GatewayError('SESSION_NOT_FOUND', 'Session not found');
  // Any supported session-era version is accepted on the header (classifyInbound refused the rest):
  // clients are known to send an older one than they negotiated, and the session fixes the semantics.
  return session;
}

/**
 * What the chain authorizes and audits: the named tool, prompt or resource; for an OpenAPI
 * import's call_operation (discovery mode), the operation it names, so that operation's own
 * name and risk class decide.
 */
function aimedTarget(mcp: McpServerDeps, method: string, message: unknown): string | null {
  const target = targetOf(method, message);
  if (method !== 'tools/call' || target === null || !mcp.openapi) return target;
  const args = (message as { params?: { arguments?: unknown } }).params?.arguments;
  return mcp.openapi.aimedAt(mcp.directory.tool(target), args) ?? target;
}

function targetOf(method: string, message: unknown): string | null {
  const params = (message as { params?: Record<string, unknown> }).params;
  switch (method) {
    case 'tools/call':
    case 'prompts/get':
      return typeof params?.name === 'string' ? params.name : null;
    case 'resources/read':
    case 'resources/subscribe':
    case 'resources/unsubscribe':
      return typeof params?.uri === 'string' ? params.uri : null;
    case 'completion/complete':
      return completionTarget(params);
    default:
      return null;
  }
}

/** The chain's forward step: run the method, render its answer for the client's era. */
async function runMethod(mcp: McpServerDeps, ctx: RequestContext, exchange: Responder): Promise<ForwardResult<Rendered>> {
  const payload = ctx.payload as McpPayload;
  const { inbound, session } = payload;
  const principal = ctx.principal;
  if (principal?.kind !== 'agent') throw new GatewayError('UNAUTHENTICATED', 'Missing or invalid credentials');

  if (inbound.kind === 'response') {
    // A 2025-11-25 client answering a sampling/elicitation request the gateway forwarded.
    const msg = inbound.message as { id: JsonRpcId; result?: Record<string, unknown>; error?: JsonRpcErrorObject };
    const waiter = session?.awaiting.get(String(msg.id));
    if (waiter) {
      if (msg.result) waiter.resolve(msg.result);
      else waiter.reject(new ClientAnswerError({ code: msg.error!.code, message: String(msg.error!.message).slice(0, 1000), ...(msg.error!.data !== undefined ? { data: msg.error!.data } : {}) }));
    }
    return render({ kind: 'accepted', details: { matched: waiter !== undefined } }, 'response', inbound.era);
  }

  const message = inbound.message as { id?: JsonRpcId; method: string; params?: Record<string, unknown> };
  const params = message.params ?? {};
  // A 2025-11-25 request can be cancelled by notifications/cancelled as well as by disconnecting.
  let release = () => undefined as void;
  if (session && message.id !== undefined && inbound.kind === 'request') {
    if (session.inFlight.has(message.id)) throw new GatewayError('BAD_REQUEST', 'A request with this id is already in flight in this session');
    // Cancelling aborts the request's own signal, which the upstream call follows.
    session.inFlight.set(message.id, { abort: (reason?: unknown) => ctx.abort.abort(reason) });
    release = () => void session.inFlight.delete(message.id!);
  }
  const c: CallContext = { ctx, agent: principal.agent, payload, params, exchange, deps: mcp };
  try {
    if (inbound.kind === 'notification') return render(dispatchNotification(c, message.method), message.method, inbound.era);
    const outcome = await dispatchRequest(c, message.method);
    return render(outcome, message.method, inbound.era, message.id!);
  } finally {
    release();
  }
}

function render(outcome: MethodOutcome, method: string, era: 'modern' | 'legacy', id?: JsonRpcId): ForwardResult<Rendered> {
  const details = outcome.details ?? {};
  if (outcome.kind === 'accepted' || outcome.kind === 'streaming') {
    return { status: outcome.kind === 'accepted' ? 202 : 200, body: { outcome, json: null }, details };
  }
  let message: unknown;
  if (outcome.kind === 'upstream-error') message = { jsonrpc: '2.0', id, error: outcome.error };
  else message = { jsonrpc: '2.0', id, result: translateResult(outcome.result, method, era) };
  const json = JSON.stringify(message);
  return {
    status: 200,
    body: { outcome, json },
    responseBytes: Buffer.byteLength(json),
    responseDigest: sha256Hex(json),
    details,
    ...(outcome.kind === 'result' && outcome.sent === false ? { sent: false as const } : {}),
  };
}

/**
 * Results are shaped for the client's era: 2026-07-28 results carry `resultType` (and
 * cache fields on cacheable methods: per agent, so private and not cached); 2025-11-25
 * clients get neither. An upstream's `input_required` cannot be turned into server-side
 * requests for a session client, so that is an error rather than a silent wrong answer.
 */
function translateResult(result: Record<string, unknown>, method: string, era: 'modern' | 'legacy'): Record<string, unknown> {
  if (era === 'modern') {
    const rt = result.resultType;
    const out: Record<string, unknown> = { ...result, resultType: rt === undefined || !MULTI_ROUND_TRIP_METHODS.has(method) ? 'complete' : rt };
    if (CACHEABLE_METHODS.has(method) && out.resultType === 'complete') {
      out.ttlMs = 0;
      out.cacheScope = 'private';
    }
    const meta = out._meta as Record<string, unknown> | undefined;
    out._meta = { ...(meta && typeof meta === 'object' ? meta : {}), [META.serverInfo]: SERVER_INFO };
    return out;
  }
  if (result.resultType === 'input_required') {
    throw new GatewayError('UPSTREAM_BAD_RESPONSE', 'The upstream asked for client input (2026-07-28 multi round-trip), which cannot be relayed to a 2025-11-25 client');
  }
  if (result.resultType === undefined && result.ttlMs === undefined && result.cacheScope === undefined) return result;
  const { resultType: _rt, ttlMs: _ttl, cacheScope: _cs, ...rest } = result;
  return rest;
}

export function sendJsonRpcError(res: Response, id: JsonRpcId | null, err: GatewayError, exchange?: Responder): void {
  if (res.headersSent || res.destroyed) return;
  const json = JSON.stringify({ jsonrpc: '2.0', id, error: jsonrpcError(err, res.locals.requestId as string) });
  const headers = { ...err.headers };
  if (err.code === 'UNAUTHENTICATED') headers['www-authenticate'] = 'Bearer realm="warden"';
  if (exchange) return exchange.finish(mcpHttpStatus(err, id !== null), json, headers);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.statusCode = mcpHttpStatus(err, id !== null);
  res.setHeader('content-type', 'application/json');
  res.end(json);
}

/** GET /mcp: the 2025-11-25 session's standalone stream for server notifications. */
async function handleGet(deps: McpRouteDeps, req: Request, res: Response): Promise<void> {
  if (!(await guard(deps, req, res, true))) return;
  await sessionOperation(deps, req, res, 'mcp.stream', (session) => {
    if (session.stream && !session.stream.ended) throw new GatewayError('BAD_REQUEST', 'This session already has an open stream');
    const release = becomeStream(deps.mcp.streams, session.agentId, res.locals);
    const stream = new SseStream(res, { headers: { 'mcp-session-id': session.id } });
    stream.onEnd(release);
    session.stream = stream;
    stream.onEnd(() => {
      if (session.stream === stream) session.stream = null;
    });
    // The client sees list_changed only after this point: remember what it sees now.
    const agent = deps.catalog().agents.get(session.agentId);
    if (agent) {
      const d = deps.mcp.views.listing(agent).digests;
      session.visibleToolsDigest = d.tools;
      session.visiblePromptsDigest = d.prompts;
      session.visibleResourcesDigest = d.resources;
    }
    return true;
  });
}

/** DELETE /mcp: the client ends its 2025-11-25 session. */
async function handleDelete(deps: McpRouteDeps, req: Request, res: Response): Promise<void> {
  if (!(await guard(deps, req, res, false))) return;
  await sessionOperation(deps, req, res, 'mcp.session.close', (session) => {
    deps.mcp.sessions.close(session.id, 'closed by the client');
    return false;
  });
}

/** GET and DELETE: authenticated and audited through the chain like every request. */
async function sessionOperation(
  deps: McpRouteDeps,
  req: Request,
  res: Response,
  action: string,
  run: (session: NonNullable<ReturnType<McpServerDeps['sessions']['get']>>) => boolean,
): Promise<void> {
  const { ctx, credentialProblem } = requestContext(deps, req, res, 'mcp', action, null);
  if (credentialProblem) {
    const out = await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage);
    return sendJsonRpcError(res, null, out.error);
  }
  let streaming = false;
  const outcome = await deps.chain.run(ctx, async (c) => {
    const sessionId = header(req, 'mcp-session-id');
    if (sessionId === undefined) {
      // 2026-07-28 has no GET stream and no sessions: subscriptions/listen replaces both.
      throw new GatewayError('METHOD_NOT_ALLOWED', 'This endpoint needs an Mcp-Session-Id (2025-11-25); 2026-07-28 clients use subscriptions/listen', {
        headers: { allow: 'POST' },
      });
    }
    const session = deps.mcp.sessions.get(sessionId, c.principal?.kind === 'agent' ? c.principal : null);
    if (!session) throw new GatewayError('SESSION_NOT_FOUND', 'Session not found');
    streaming = run(session);
    return { status: streaming ? 200 : 204, body: null, details: { session: session.id.slice(0, 8) } };
  });
  if (!outcome.ok) {
    res.locals.auditCode = outcome.error.code;
    if (res.headersSent) return void res.end();
    return sendJsonRpcError(res, null, outcome.error);
  }
  if (!streaming) res.status(outcome.result.status).end();
}


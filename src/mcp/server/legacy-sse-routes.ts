/**
 * The legacy HTTP+SSE transport (MCP 2024-11-05) for clients that predate Streamable HTTP:
 * `GET /sse` opens a session and its one stream, whose first event names the URL to POST
 * to; `POST /messages?sessionId=…` carries each client message. Every answer travels on
 * the stream, so the POST only says 202 (or, for transport-level problems, its error).
 * Both endpoints go through the same Origin/Host guard and the one policy chain as `/mcp`.
 */
import { Router, type Request, type Response } from 'express';
import { GatewayError } from '../../errors/gateway-error.js';
import { requestContext } from '../../http/governed-route.js';
import { queryCarriesCredential } from '../../http/request-meta.js';
import { isLegacyVersion } from '../protocol/versions.js';
import type { Responder } from './exchange.js';
import type { McpHeaders } from './inbound.js';
import { guard, handleMcpMessage, mcpHeaders, methodNotAllowed, safely, sendJsonRpcError, type McpRouteDeps } from './mcp-routes.js';
import type { Session } from './sessions.js';
import { TokenBucket } from '../../util/token-bucket.js';
import { SseStream } from './sse-stream.js';
import { becomeStream } from './stream-quota.js';

export const LEGACY_SSE_PATH = '/sse';
export const LEGACY_MESSAGES_PATH = '/messages';
/** The version a session has until its initialize says otherwise (the transport's own revision). */
const TRANSPORT_VERSION = '2024-11-05';
/** Stands in for a session id this router never opened: resolves to "not found" for every agent. */
const NO_SUCH_SESSION = '-';

export function legacySseRouter(deps: McpRouteDeps): Router {
  const router = Router({ caseSensitive: true, strict: true });
  // The SSE sessions this router opened, by id; each leaves when its stream ends.
  const open = new Map<string, Session>();
  router.get(LEGACY_SSE_PATH, safely((req, res) => openSession(deps, open, req, res)));
  router.post(LEGACY_MESSAGES_PATH, safely((req, res) => postMessage(deps, open, req, res)));
  router.all(LEGACY_SSE_PATH, methodNotAllowed('GET'));
  router.all(LEGACY_MESSAGES_PATH, methodNotAllowed('POST'));
  return router;
}

/** GET /sse: authenticated and audited through the chain; the stream is the session's lifetime. */
async function openSession(deps: McpRouteDeps, open: Map<string, Session>, req: Request, res: Response): Promise<void> {
  if (!(await guard(deps, req, res, true))) return;
  const { ctx, credentialProblem } = requestContext(deps, req, res, 'mcp', 'mcp.sse.open', null);
  if (credentialProblem) {
    const out = await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage);
    return sendJsonRpcError(res, null, out.error);
  }
  const opened: { session?: Session } = {};
  const outcome = await deps.chain.run(ctx, async (c) => {
    const p = c.principal;
    if (p?.kind !== 'agent') throw new GatewayError('UNAUTHENTICATED', 'Missing or invalid credentials');
    const release = becomeStream(deps.mcp.streams, p.agentId, res.locals);
    const s = createSession(deps, p.agentId, p.keyId);
    opened.session = s;
    const stream = new SseStream(res);
    stream.onEnd(release);
    s.stream = stream;
    open.set(s.id, s);
    // The transport has no other way to say goodbye: the stream closing ends the session.
    stream.onEnd(() => {
      open.delete(s.id);
      deps.mcp.sessions.close(s.id, 'SSE stream closed');
    });
    // list_changed is sent only for changes after this point: remember what the agent sees now.
    const d = deps.mcp.views.listing(p.agent).digests;
    s.visibleToolsDigest = d.tools;
    s.visiblePromptsDigest = d.prompts;
    s.visibleResourcesDigest = d.resources;
    stream.sendEvent('endpoint', `${LEGACY_MESSAGES_PATH}?sessionId=${s.id}`);
    return { status: 200, body: null, details: { session: s.id.slice(0, 8), transport: 'sse' } };
  });
  if (!outcome.ok) {
    res.locals.auditCode = outcome.error.code;
    // A response policy refused after the stream opened: ending it closes the session.
    if (res.headersSent) return void res.end();
    if (opened.session) deps.mcp.sessions.close(opened.session.id, 'refused');
    return sendJsonRpcError(res, null, outcome.error);
  }
}

/**
 * A new SSE session. Its id travels in a query string, where anything shaped like a Warden
 * key is refused as a credential: an id that happens to contain one is replaced.
 */
function createSession(deps: McpRouteDeps, agentId: string, keyId: string): Session {
  for (;;) {
    const s = deps.mcp.sessions.create({ transport: 'sse', agentId, keyId, protocolVersion: TRANSPORT_VERSION, clientInfo: null, clientCapabilities: {} });
    if (!queryCarriesCredential(`${LEGACY_MESSAGES_PATH}?sessionId=${s.id}`)) return s;
    deps.mcp.sessions.close(s.id, 'id unusable in a URL');
  }
}

/** POST /messages?sessionId=…: one client message through the same chain as POST /mcp. */
async function postMessage(deps: McpRouteDeps, open: Map<string, Session>, req: Request, res: Response): Promise<void> {
  if (!(await guard(deps, req, res, false))) return;
  const q = req.query.sessionId;
  const sessionId = typeof q === 'string' ? q : null;
  if (!sessionId) {
    const { ctx } = requestContext(deps, req, res, 'mcp', 'mcp.sse.message', null);
    const out = await deps.chain.reject(ctx, new GatewayError('BAD_REQUEST', 'Bad Request: the sessionId query parameter is required (open GET /sse first)'), 'legacy-sse-session');
    return sendJsonRpcError(res, null, out.error);
  }
  const session = open.get(sessionId);
  await handleMcpMessage(deps, req, res, new SessionStreamResponder(res, session, deps.mcp.config.maxNotificationsPerSecond), legacyHeaders(req, session ? sessionId : NO_SUCH_SESSION));
}

/**
 * The headers the message is judged with. The session comes from the query string (the
 * chain still checks it belongs to the caller). The 2026-07-28 headers are never passed on:
 * a modern (`_meta`-enveloped) body then fails the header cross-check, so a message can
 * never run session-less here and have its answer land on a stream named by the URL.
 */
function legacyHeaders(req: Request, sessionId: string): McpHeaders {
  const pv = mcpHeaders(req).protocolVersion;
  return { sessionId, ...(pv !== undefined && isLegacyVersion(pv) ? { protocolVersion: pv } : {}) };
}

/**
 * Where the answers to one POST /messages go: the session's SSE stream. The POST is
 * answered 202 as soon as the first message for it is on the stream (from then on a
 * dropped POST connection no longer cancels the call); until then a transport-level error
 * (authentication, bad JSON, no such session) still answers the POST with its status.
 */
export class SessionStreamResponder implements Responder {
  readonly #res: Response;
  readonly #session: Session | undefined;
  readonly #headers: Record<string, string> = {};
  /** Notifications per second for this POST (a flooding upstream must not fill the stream). */
  readonly #rate: TokenBucket;
  #acked = false;
  #done = false;
  /** Notifications dropped because the upstream sent more than the per-stream rate allows. */
  dropped = 0;

  constructor(res: Response, session: Session | undefined, maxNotificationsPerSecond: number) {
    this.#res = res;
    this.#session = session;
    this.#rate = new TokenBucket(maxNotificationsPerSecond);
  }

  /** True once the POST was answered 202: everything after that can only go on the stream. */
  get upgraded(): boolean {
    return this.#acked;
  }

  get done(): boolean {
    const stream = this.#session?.stream;
    return this.#done || !stream || stream.ended;
  }

  setHeader(name: string, value: string): void {
    this.#headers[name] = value;
  }

  notify(message: { method: string; id?: unknown }, rateLimited = true): boolean {
    if (this.done) return false;
    if (rateLimited && !this.#rate.take()) {
      this.dropped++;
      return false;
    }
    return this.#deliver(JSON.stringify(message));
  }

  /** A per-request stream (subscriptions/listen) belongs to 2026-07-28, which never reaches this transport. */
  becomeStream(): () => void {
    throw new GatewayError('BAD_REQUEST', 'The legacy HTTP+SSE transport has no per-request streams');
  }

  stream(): SseStream {
    throw new GatewayError('BAD_REQUEST', 'The legacy HTTP+SSE transport has no per-request streams');
  }

  finish(status: number, json: string, headers: Record<string, string> = {}): void {
    if (this.#done) return;
    this.#done = true;
    // 200 is a JSON-RPC answer (result or error) for the stream; any other status is the POST's own error.
    if (status === 200 && this.#deliver(json)) return;
    if (this.#acked || this.#res.headersSent) return;
    // The stream ended while the call ran: the session is gone, and the POST can say so.
    if (status === 200) return sendJsonRpcError(this.#res, null, new GatewayError('SESSION_NOT_FOUND', 'Session not found (its SSE stream has closed)'));
    const res = this.#res;
    for (const [k, v] of Object.entries({ ...this.#headers, ...headers })) res.setHeader(k, v);
    res.statusCode = status;
    res.setHeader('content-type', 'application/json');
    res.end(json);
  }

  accepted(): void {
    if (this.#done) return;
    this.#done = true;
    this.#ack();
  }

  #deliver(json: string): boolean {
    const stream = this.#session?.stream;
    if (!stream || stream.ended) return false;
    this.#ack();
    return stream.sendRaw(json);
  }

  #ack(): void {
    if (this.#acked) return;
    this.#acked = true;
    const res = this.#res;
    if (res.headersSent || res.destroyed) return;
    for (const [k, v] of Object.entries(this.#headers)) res.setHeader(k, v);
    res.statusCode = 202;
    res.end();
  }
}

/**
 * The OpenAI-compatible API: POST /v1/chat/completions, /v1/responses, /v1/embeddings and
 * GET /v1/models[/{id}], with the agent key as the bearer token. Every request runs through
 * the one policy chain (authenticate, authorize, authorize-target on the model, llm-estimate,
 * then the forward step) and gets exactly one audit record; errors use OpenAI's envelope so
 * the official clients surface them.
 */
import { Router, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { GatewayError, openaiErrorBody } from '../errors/gateway-error.js';
import { closeIfDraining, hasBody, requestContext, type GovernedDeps } from '../http/governed-route.js';
import { readJsonBody } from '../http/read-body.js';
import type { ChainResult } from '../pipeline/chain.js';
import type { RequestContext } from '../pipeline/context.js';
import { refusedPayload, type ForwardResult, type LoadPayload } from '../pipeline/policy.js';
import { routePermitted } from '../policy/model-access.js';
import { merged } from '../util/merged.js';
import type { LlmAnswer, LlmService } from './llm-service.js';
import { parseLlmRequest, type LlmEndpoint } from './request-body.js';

export interface LlmRouteDeps extends GovernedDeps {
  llm: LlmService;
  maxBodyBytes: number;
  maxChoices: number;
}

const JSON_CONTENT = { 'content-type': 'application/json' };

const ACTIONS: Record<LlmEndpoint, string> = { chat: 'chat.completions', responses: 'responses', embeddings: 'embeddings' };

/** The POST endpoints, for the express-free fast lane (exact paths). */
export function llmFastLane(deps: LlmRouteDeps): Record<string, (req: Request, res: Response) => void> {
  return {
    'POST /v1/chat/completions': safely(deps, (req, res) => handlePost(deps, 'chat', req, res)),
    'POST /v1/responses': safely(deps, (req, res) => handlePost(deps, 'responses', req, res)),
    'POST /v1/embeddings': safely(deps, (req, res) => handlePost(deps, 'embeddings', req, res)),
  };
}

export function llmRouter(deps: LlmRouteDeps): Router {
  const router = Router({ caseSensitive: true, strict: true });
  for (const [route, handler] of Object.entries(llmFastLane(deps))) router.post(route.slice(5), handler);
  router.get('/v1/models', safely(deps, (req, res) => handleModels(deps, req, res, null)));
  // Model names may hold "/" (OpenRouter-style names): everything after /v1/models/ is the id.
  router.get('/v1/models/*id', safely(deps, (req, res) => handleModels(deps, req, res, (req.params as { id: string[] }).id.join('/'))));
  // Other methods on these paths: 405 in OpenAI's envelope (a mounted router is invisible to the app's own 405).
  for (const route of Object.keys(llmFastLane(deps))) router.all(route.slice(5), methodNotAllowed('POST'));
  router.all(['/v1/models', '/v1/models/*id'], methodNotAllowed('GET, HEAD'));
  return router;
}

function methodNotAllowed(allow: string) {
  return (req: Request, res: Response): void => {
    res.setHeader('allow', allow);
    sendOpenAiError(res, new GatewayError('METHOD_NOT_ALLOWED', `${req.method} is not allowed here (${allow})`));
  };
}

function safely(deps: LlmRouteDeps, handler: (req: Request, res: Response) => Promise<void>) {
  return (req: Request, res: Response): void => {
    handler(req, res).catch((err: unknown) => {
      ((res.locals.log as Logger | undefined) ?? deps.log).error({ err }, 'LLM handler failed outside the policy chain');
      if (!res.headersSent) sendOpenAiError(res, new GatewayError('INTERNAL', 'Internal gateway error'));
      else res.destroy();
    });
  };
}

// What these endpoints send: JSON, or an SSE stream when asked for one (the official clients
// send `application/json` for streams too).
const ACCEPTABLE = /^\s*(?:\*\/\*|application\/(?:\*|json)|text\/(?:\*|event-stream))\s*(?:;|$)/i;
// A quality of 0 rules the type out (RFC 9110, 12.4.2).
const REFUSED = /;\s*q\s*=\s*0(?:\.0{0,3})?\s*(?:;|$)/i;

function notAcceptable(req: Request): GatewayError | null {
  const accept = req.headers.accept;
  if (accept === undefined || accept.trim() === '' || accept.split(',').some((range) => ACCEPTABLE.test(range) && !REFUSED.test(range))) return null;
  return new GatewayError('NOT_ACCEPTABLE', 'Not Acceptable: this endpoint answers application/json (or text/event-stream for streams)');
}

async function handlePost(deps: LlmRouteDeps, endpoint: LlmEndpoint, req: Request, res: Response): Promise<void> {
  const { ctx, credentialProblem } = requestContext(deps, req, res, 'llm', ACTIONS[endpoint], null);
  if (credentialProblem) return render(res, await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage));
  const unacceptable = notAcceptable(req);
  if (unacceptable) return render(res, await deps.chain.reject(ctx, unacceptable, 'accept'));
  let bodyDone = !hasBody(req);
  const loadPayload: LoadPayload = async (c: RequestContext) => {
    const body = await readJsonBody(req, deps.maxBodyBytes, true);
    bodyDone = true;
    const agent = c.principal?.kind === 'agent' ? c.principal.agent : undefined;
    let parsed;
    try {
      parsed = parseLlmRequest(endpoint, body.value, { defaultModel: agent?.models?.defaultModel, maxChoices: deps.maxChoices, received: body });
    } catch (err) {
      throw refusedPayload(err, { bytes: body.bytes, digest: body.digest, target: modelNamed(body.value) });
    }
    return { payload: parsed, bytes: body.bytes, digest: body.digest, target: parsed.model };
  };
  const outcome = await deps.chain.run(ctx, (c) => deps.llm.forward(c, res), loadPayload);
  if (!bodyDone) res.setHeader('connection', 'close');
  render(res, outcome);
}

async function handleModels(deps: LlmRouteDeps, req: Request, res: Response, id: string | null): Promise<void> {
  const { ctx, credentialProblem } = requestContext(deps, req, res, 'llm', id === null ? 'models.list' : 'models.retrieve', id);
  if (credentialProblem) return render(res, await deps.chain.reject(ctx, credentialProblem.error, credentialProblem.stage));
  const unacceptable = notAcceptable(req);
  if (unacceptable) return render(res, await deps.chain.reject(ctx, unacceptable, 'accept'));
  const outcome = await deps.chain.run(ctx, async (c): Promise<ForwardResult<LlmAnswer>> => {
    const agent = c.principal?.kind === 'agent' ? c.principal.agent : undefined;
    const models = deps.llm.models;
    let json: unknown;
    if (id === null) {
      const data = [];
      for (const route of models.routes()) if (agent && routePermitted(agent, route)) data.push(modelObject(route.name, route.alias));
      json = { object: 'list', data };
    } else {
      // authorize-target already refused unknown and hidden ids.
      json = modelObject(id, models.route(id)!.alias);
    }
    const body = Buffer.from(JSON.stringify(json));
    return { status: 200, body: { kind: 'json', status: 200, headers: {}, body }, responseBytes: body.length };
  });
  render(res, outcome);
}

/** The model a body names, for the audit record of its refusal. */
function modelNamed(value: unknown): string | null {
  const model = typeof value === 'object' && value !== null ? (value as { model?: unknown }).model : undefined;
  return typeof model === 'string' && model.length > 0 && model.length <= 200 ? model : null;
}

/** The OpenAI model object; `owned_by` says whether the gateway routes the name (an alias) or a provider serves it. */
function modelObject(id: string, alias: boolean) {
  return { id, object: 'model', created: 0, owned_by: alias ? 'warden-alias' : 'warden' };
}

function render(res: Response, outcome: ChainResult<LlmAnswer> | Extract<ChainResult<never>, { ok: false }>): void {
  res.locals.auditCode = outcome.ok ? null : outcome.error.code;
  if (outcome.ok) {
    const answer = outcome.result.body;
    if (answer.kind === 'stream') {
      if (answer.tail && !res.destroyed) res.write(answer.tail);
      res.end();
      return;
    }
    if (res.headersSent || res.destroyed) return;
    closeIfDraining(res);
    // With its length said, the answer goes out in one piece rather than chunk-framed.
    const length = answer.status === 204 || answer.status === 304 ? undefined : { 'content-length': String(answer.body.length) };
    res.writeHead(answer.status, merged<Record<string, string>>(answer.headers, JSON_CONTENT, length));
    res.end(answer.body);
    return;
  }
  if (res.headersSent) {
    // A stream was under way: end it with an error event (the official clients raise it).
    if (!res.destroyed) {
      res.write(`data: ${JSON.stringify(openaiErrorBody(outcome.error, res.locals.requestId as string))}\n\n`);
      res.end();
    }
    return;
  }
  sendOpenAiError(res, outcome.error);
}

/** OpenAI's envelope; a final refusal also tells the official clients not to retry it. */
export function sendOpenAiError(res: Response, err: GatewayError): void {
  if (res.headersSent || res.destroyed) return;
  closeIfDraining(res);
  for (const [k, v] of Object.entries(err.headers)) res.setHeader(k, v);
  if (!err.retryable) res.setHeader('x-should-retry', 'false');
  res.statusCode = err.httpStatus === 499 ? 400 : err.httpStatus;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.end(JSON.stringify(openaiErrorBody(err, res.locals.requestId as string)));
}

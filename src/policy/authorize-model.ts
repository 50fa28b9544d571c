/**
 * The LLM half of authorize-target: the model or alias a request names must exist and be
 * allowed by the agent's `models` section, and serve the endpoint's kind. A model the agent
 * may not use is refused exactly like one that does not exist (no enumeration): same code,
 * same message. Names are matched exactly: `GPT-4.1`, `gpt-4.1 ` or `gpt-4.1-mini` are other
 * names, never a fuzzy match of an allowed one.
 */
import type { Agent } from '../catalog/index.js';
import { GatewayError } from '../errors/gateway-error.js';
import type { ModelDirectory } from '../llm/model-directory.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Decision } from '../pipeline/policy.js';
import { routePermitted } from './model-access.js';

const ALLOW: Decision = { kind: 'allow' };

export function authorizeModel(ctx: RequestContext, agent: Agent, models: ModelDirectory | undefined): Decision {
  const name = ctx.target;
  // GET /v1/models lists; it names no model.
  if (ctx.action === 'models.list') return ALLOW;
  const route = name === null ? undefined : models?.route(name);
  if (!route || !routePermitted(agent, route)) {
    return {
      kind: 'deny',
      error: new GatewayError('MODEL_NOT_FOUND', `Unknown model: ${JSON.stringify(String(name ?? '').slice(0, 200))}`, { details: { param: 'model' } }),
      reason: 'model not found or not permitted',
    };
  }
  if (ctx.action === 'models.retrieve') return ALLOW;
  const wantsEmbeddings = ctx.action === 'embeddings';
  if (wantsEmbeddings !== (route.kind === 'embeddings')) {
    return {
      kind: 'deny',
      error: new GatewayError(
        'INVALID_PARAMS',
        wantsEmbeddings ? `Model ${route.name} is not an embeddings model` : `Model ${route.name} is an embeddings model; use /v1/embeddings`,
        { details: { param: 'model' } },
      ),
      reason: `model kind ${route.kind}`,
    };
  }
  return ALLOW;
}

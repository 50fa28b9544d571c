import { isObject } from '../util/is-object.js';
import type { ModelTarget } from './model-directory.js';
import type { LlmEndpoint, LlmRequest } from './request-body.js';

export const UPSTREAM_PATH: Record<LlmEndpoint, string> = {
  chat: '/chat/completions',
  responses: '/responses',
  embeddings: '/embeddings',
};

/**
 * The JSON sent to one target: the agent's body with the target's own model name, and, for
 * chat streams, the usage chunk always requested (without it a stream's tokens would go
 * unbilled; the relay drops that chunk again when the client did not ask for it).
 */
export function upstreamBody(req: LlmRequest, target: ModelTarget): string {
  const body: Record<string, unknown> = { ...req.body, model: target.upstreamName };
  if (req.endpoint === 'chat' && req.stream) {
    const asked = isObject(req.body.stream_options) ? req.body.stream_options : {};
    body.stream_options = { ...asked, include_usage: true };
  }
  if (req.enforcedOutputLimit !== undefined) {
    const field = outputField(req, target);
    body[field] = req.enforcedOutputLimit;
    if (field === 'max_completion_tokens') delete body.max_tokens;
    else if (field === 'max_tokens') delete body.max_completion_tokens;
  }
  return JSON.stringify(body);
}

/**
 * Where a target reads the output limit: the field the client used if any (the other one is
 * removed, as a provider may refuse both); else max_completion_tokens for OpenAI's reasoning
 * and gpt-5 models, which refuse max_tokens, and max_tokens for everything else.
 */
function outputField(req: LlmRequest, target: ModelTarget): string {
  if (req.endpoint === 'responses') return 'max_output_tokens';
  if (req.body.max_completion_tokens != null) return 'max_completion_tokens';
  if (req.body.max_tokens != null) return 'max_tokens';
  return /^(o\d|gpt-5)/.test(target.upstreamName) ? 'max_completion_tokens' : 'max_tokens';
}

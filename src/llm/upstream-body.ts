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
  return JSON.stringify(body);
}

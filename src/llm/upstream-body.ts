import { isObject } from '../util/is-object.js';
import type { ModelTarget } from './model-directory.js';
import type { LlmEndpoint, LlmRequest } from './request-body.js';
import { spliceBody, type MemberEdit } from './splice-body.js';

export const UPSTREAM_PATH: Record<LlmEndpoint, string> = {
  chat: '/chat/completions',
  responses: '/responses',
  embeddings: '/embeddings',
};

/**
 * The body sent to one target: the agent's own bytes with the gateway's edits spliced in when
 * they are at hand (the request came from readJsonBody and its body was not replaced since),
 * else upstreamBody's serialization. Both carry the same JSON.
 */
export function upstreamBytes(req: LlmRequest, target: ModelTarget): Buffer {
  const r = req.received;
  if (r === undefined || r.body !== req.body) return Buffer.from(upstreamBody(req, target));
  const { set, remove } = edits(req, target);
  return spliceBody(r, set, remove);
}

/** The JSON sent to one target, serialized from the parsed body. */
export function upstreamBody(req: LlmRequest, target: ModelTarget): string {
  const body: Record<string, unknown> = { ...req.body };
  const { set, remove } = edits(req, target);
  for (const [key, value] of set) body[key] = value;
  if (remove !== null) delete body[remove];
  return JSON.stringify(body);
}

/**
 * What the gateway changes in the agent's body for one target: the target's own model name,
 * for chat streams the usage chunk always requested (without it a stream's tokens would go
 * unbilled; the relay drops that chunk again when the client did not ask for it), and an
 * enforced output limit in the target's field (the other chat field removed), at most the
 * target's own maxOutputTokens.
 */
function edits(req: LlmRequest, target: ModelTarget): { set: MemberEdit[]; remove: string | null } {
  const set: MemberEdit[] = [['model', target.upstreamName]];
  if (req.endpoint === 'chat' && req.stream) {
    const asked = isObject(req.body.stream_options) ? req.body.stream_options : {};
    if (asked.include_usage !== true) set.push(['stream_options', { ...asked, include_usage: true }]);
  }
  let remove: string | null = null;
  if (req.enforcedOutputLimit !== undefined) {
    const field = outputField(req, target);
    // Never above the target's own limit: the reservation may assume an alias's largest.
    const own = target.maxOutputTokens;
    set.push([field, own !== undefined && own < req.enforcedOutputLimit ? own : req.enforcedOutputLimit]);
    if (field === 'max_completion_tokens') remove = 'max_tokens';
    else if (field === 'max_tokens') remove = 'max_completion_tokens';
  }
  return { set, remove };
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

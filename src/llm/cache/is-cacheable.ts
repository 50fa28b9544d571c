import { isObject } from '../../util/is-object.js';
import type { CacheEndpoint } from './cache-key.js';

/**
 * Whether an answer to this request may be stored and replayed. The rule: the answer must be
 * a function of the request alone, and producing it must not act on anything.
 *
 * Sampling does not matter. Exact-match caching is opt-in by the operator per agent or alias,
 * who thereby accepts one sample replayed for the TTL: requests without temperature, with
 * temperature > 0, or with n > 1 are cached like deterministic ones (n and the sampling
 * fields are in the key, so a hit always has the shape the request asked for).
 *
 * Not cacheable, because the provider holds state the key cannot see, or acts:
 * - Responses `previous_response_id`, `conversation`, `item_reference` inputs: the history
 *   lives at the provider (and a conversation would not receive the new turn on a hit).
 * - Responses `background: true`: the answer is a queued placeholder to poll, not a result.
 * - Responses `prompt` without a `version`: the latest version of a stored template, which
 *   can change under the same request.
 * - Tools the provider runs (web and file search, remote MCP servers, code interpreter, hosted
 *   shells, image generation, tool search...): results from live or provider-held data, and
 *   side effects a hit would silently skip. Only tools the client executes are allowed, by
 *   list, so a hosted tool type added later is refused rather than cached.
 * - Chat `web_search_options`: the answer quotes live search results.
 */
export function isCacheable(endpoint: CacheEndpoint, body: Record<string, unknown>): boolean {
  switch (endpoint) {
    case 'embeddings':
      return true;
    case 'chat':
      return body.web_search_options == null;
    case 'responses':
      return responsesCacheable(body);
  }
}

function responsesCacheable(body: Record<string, unknown>): boolean {
  if (body.previous_response_id != null || body.conversation != null || body.background) return false;
  if (Array.isArray(body.input) && body.input.some((item) => isObject(item) && item.type === 'item_reference')) return false;
  const prompt = body.prompt;
  if (prompt != null && !(isObject(prompt) && typeof prompt.version === 'string')) return false;
  const tools = body.tools;
  return !Array.isArray(tools) || tools.every(clientExecuted);
}

// Tool types whose calls come back to the client to run (function tools, grouped or not; the
// coding tools; computer use). The model's answer is then only the call, a function of the request.
const CLIENT_TOOLS: ReadonlySet<string> = new Set(['function', 'custom', 'namespace', 'apply_patch', 'local_shell', 'computer', 'computer_use_preview']);

function clientExecuted(tool: unknown): boolean {
  if (!isObject(tool) || typeof tool.type !== 'string') return false;
  if (CLIENT_TOOLS.has(tool.type)) return true;
  // The shell tool runs locally unless given a hosted container.
  if (tool.type === 'shell') return tool.environment == null || (isObject(tool.environment) && tool.environment.type === 'local');
  return false;
}

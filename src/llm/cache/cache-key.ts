import { canonicalJson } from '../../util/canonical-json.js';
import { sha256Hex } from '../../util/sha256.js';

export type CacheEndpoint = 'chat' | 'responses' | 'embeddings';

/**
 * Who may share cached answers: the same tenant (`owner`), the same data clearance and the
 * same cache label (an agent, or an alias shared on purpose). Any difference gives another key.
 */
export interface CacheScope {
  owner: string;
  clearance: string;
  label: string;
}

export interface CacheKeyInput {
  endpoint: CacheEndpoint;
  /** The public model or alias the agent named, as the catalog resolved it (not the routed target). */
  model: string;
  /** The request body as the agent sent it; it is read, never changed. */
  body: Record<string, unknown>;
  scope: CacheScope;
  /**
   * The output limit the gateway wrote into the forwarded request (a budget's clamp, or the
   * reserved default when the agent set none): an answer cut short for one agent's budget
   * must not be served to another whose request would not have been.
   */
  outputLimit?: number | undefined;
}

/**
 * Body fields left out of the key because they cannot change what a hit returns; every other
 * field, unknown ones included, is part of the key.
 *
 * Everywhere:
 * - `model`: keyed from CacheKeyInput.model, so a body whose model the router rewrote to a
 *   provider's name still meets the entry of the alias the agent named.
 * - `stream`, `stream_options` (include_usage, include_obfuscation): how the answer is
 *   delivered. The cache keeps the final JSON answer and the proxy replays it as SSE when
 *   asked, emitting the usage chunk according to the current request.
 * - `service_tier`: latency and price class, same model. The answer states the tier that
 *   actually served it, which stays true of the replayed answer.
 *
 * Chat completions (and `user` on embeddings):
 * - `user`, `safety_identifier`: end-user ids for the provider's abuse monitoring.
 * - `metadata`: tags for the provider's stored-completions dashboard.
 * - `prompt_cache_key`, `prompt_cache_options`, `prompt_cache_retention`: hints for the
 *   provider's own prefix cache (latency and price, not content).
 * None of them appears in a chat.completion or an embeddings list. A Response object echoes
 * all of them, so on the Responses API they stay in the key: a hit never hands one request
 * another request's metadata or end-user id.
 *
 * Kept on purpose although they look incidental:
 * - `parallel_tool_calls`: false allows at most one tool call in the answer.
 * - `store`: with true the provider keeps the answer, so its id can be fetched later (and a
 *   Response id used as `previous_response_id`); a request that asked to store must not
 *   receive the id of an answer that was never stored.
 * - `n`, `seed`, `temperature` and the other sampling fields: keyed, so caching n > 1 or a
 *   nonzero temperature returns exactly what such a request once received (is-cacheable.ts).
 */
const NOT_KEYED: Record<CacheEndpoint, ReadonlySet<string>> = {
  chat: new Set([
    'model',
    'stream',
    'stream_options',
    'service_tier',
    'user',
    'safety_identifier',
    'metadata',
    'prompt_cache_key',
    'prompt_cache_options',
    'prompt_cache_retention',
  ]),
  responses: new Set(['model', 'stream', 'stream_options', 'service_tier']),
  embeddings: new Set(['model', 'user']),
};

/**
 * canonicalJson writes any object or array nested 32 levels deep as the string "[TooDeep]"
 * (the tuple below is level 0, the body level 1), so two bodies differing only below that
 * would share a key. Bodies nested deeper than this get no key; the tests prove that bodies
 * differing at this depth still get distinct keys, so a lower limit in canonicalJson fails them.
 */
export const MAX_KEYED_DEPTH = 30;

/**
 * Whether an object or array sits more than `depth` levels below `value`. Visits containers
 * only, never string contents, so a long history costs a few steps per message. Parsed JSON
 * has no cycles; a cycle would end at the depth limit anyway.
 */
function nestsDeeper(value: unknown, depth: number): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (depth < 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (nestsDeeper(item, depth - 1)) return true;
    return false;
  }
  const record = value as Record<string, unknown>;
  for (const name in record) if (nestsDeeper(record[name], depth - 1)) return true;
  return false;
}

/**
 * The exact-match cache key: lowercase hex SHA-256 of the canonical JSON of the tuple
 * [endpoint, model, owner, clearance, label, output limit or null, body without the NOT_KEYED fields]. Canonical
 * JSON sorts keys at every depth, so key order never matters; each string is quoted and
 * escaped inside the tuple, so no two scopes or models can run together into one key.
 *
 * Returns undefined when the body cannot be keyed exactly: nested deeper than MAX_KEYED_DEPTH
 * (the body reader admits 64 levels). Serve that request uncached.
 */
export function cacheKey(input: CacheKeyInput): string | undefined {
  const { body, scope } = input;
  if (nestsDeeper(body, MAX_KEYED_DEPTH)) return undefined;
  const notKeyed = NOT_KEYED[input.endpoint];
  // Null prototype: an own "__proto__" field of a parsed body stays an ordinary, keyed field.
  const keyed: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of Object.keys(body)) {
    if (!notKeyed.has(name)) keyed[name] = body[name];
  }
  return sha256Hex(canonicalJson([input.endpoint, input.model, scope.owner, scope.clearance, scope.label, input.outputLimit ?? null, keyed]));
}

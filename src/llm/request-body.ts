/**
 * Reads an OpenAI-style request body into what the policies and the forward step need.
 * Only what the gateway relies on is checked (model, n, output limits, stream, the prompt's
 * container); every other field passes through untouched, except fields that would send the
 * call somewhere else or with other credentials, which are dropped and named in the audit.
 */
import { GatewayError } from '../errors/gateway-error.js';
import { isObject } from '../util/is-object.js';
import { merged } from '../util/merged.js';
import type { JsonObjectSpans } from '../util/json-scan.js';

export type LlmEndpoint = 'chat' | 'responses' | 'embeddings';

export interface LlmRequest {
  readonly endpoint: LlmEndpoint;
  /** The body to forward, without the dropped fields; `model` is replaced per attempt. */
  readonly body: Readonly<Record<string, unknown>>;
  /** The public model or alias asked for (the agent's default model when the body names none). */
  readonly model: string;
  readonly stream: boolean;
  /** Choices asked for (chat `n`; 1 elsewhere). */
  readonly n: number;
  /** max_tokens / max_completion_tokens / max_output_tokens as asked; null when unset. */
  readonly maxOutputTokens: number | null;
  /** Chat streams: the client asked for the usage chunk (stream_options.include_usage). */
  readonly clientWantsUsage: boolean;
  /** Fields removed because they would redirect the call. */
  readonly dropped: readonly string[];
  /**
   * An output limit the gateway enforces (a reservation made without one from the client, or a
   * budget's clamp): written into each target's own limit field, replacing the client's.
   */
  readonly enforcedOutputLimit?: number;
  /** The bytes the body came from, when known: upstreamBytes forwards them with its edits spliced in. */
  readonly received?: ReceivedBody;
}

/**
 * A body as received. It describes `body` only while the request's body is that very object:
 * a step that rewrites the prompt must give the request a new body (which is then serialized
 * afresh), never edit the old one in place, or the provider would get the unedited bytes.
 */
export interface ReceivedBody {
  readonly raw: Buffer;
  readonly spans: JsonObjectSpans;
  readonly body: Readonly<Record<string, unknown>>;
}

/** What readJsonBody returns about the bytes behind a parsed value. */
export interface ReceivedJson {
  readonly value: unknown;
  readonly raw: Buffer | null;
  readonly spans: JsonObjectSpans | null;
}

/**
 * Body fields some SDKs, routers and gateways read as routing or credentials. A provider would
 * ignore most of them, but a gateway in front of another gateway (or a router) must not let an
 * agent choose the base URL, key, headers or model of the call the gateway authorized and pays for.
 */
const REDIRECTING_FIELDS = new Set(
  [
    // Routers' own fallback, preset, tag and provider choices (OpenRouter, LiteLLM) and Azure's
    // external data sources (both spellings): they would let the call reach models or services
    // the gateway did not pick.
    'context_window_fallbacks',
    'data_sources',
    'fallbacks',
    'models',
    'preset',
    'provider',
    'route',
    'tags',
    'user_config',
    'api_base',
    'api_key',
    'api_version',
    'base_url',
    'custom_llm_provider',
    'extra_body',
    'extra_headers',
    'extra_query',
    'headers',
    'organization',
    'project',
  ].map(fieldKey),
);

const MAX_FIELD_KEY = 64;
const MAX_DROPPED_NAMED = 16;

/** Case, `_` and `-` do not matter (`baseURL`, `Base_URL`, `base-url`, `dataSources` are all caught): readers differ in spelling. */
function fieldKey(name: string): string {
  return name.toLowerCase().replace(/[-_]/g, '');
}

/** Output tokens no model produces in one call: a larger limit is a mistake or an attack on the reservation. */
export const OUTPUT_TOKENS_CEILING = 1_000_000;

const OUTPUT_FIELDS: Record<LlmEndpoint, readonly string[]> = {
  chat: ['max_tokens', 'max_completion_tokens'],
  responses: ['max_output_tokens'],
  embeddings: [],
};

export function parseLlmRequest(
  endpoint: LlmEndpoint,
  raw: unknown,
  opts: { defaultModel: string | undefined; maxChoices: number; received?: ReceivedJson },
): LlmRequest {
  if (!isObject(raw)) throw invalid('The request body must be a JSON object', null);
  let body: Record<string, unknown> = raw;
  let dropped: string[] | null = null;
  for (const key in raw) {
    // Longer keys are no spelling of these names (and are not normalized: an agent could
    // send a megabyte of underscores).
    if (key.length <= MAX_FIELD_KEY && REDIRECTING_FIELDS.has(fieldKey(key))) (dropped ??= []).push(key);
  }
  if (dropped) {
    body = { ...raw };
    for (const key of dropped) delete body[key];
    // Named in the audit record: a few, and short, so a body cannot crowd the record out.
    if (dropped.length > MAX_DROPPED_NAMED) dropped = [...dropped.slice(0, MAX_DROPPED_NAMED), `(and ${dropped.length - MAX_DROPPED_NAMED} more)`];
  }

  let model = body.model;
  // Absent, not null: an explicit null is a mistake OpenAI refuses too, not a request for the default.
  if (model === undefined) {
    if (opts.defaultModel === undefined) throw invalid('model is required (this agent has no default model)', 'model');
    model = opts.defaultModel;
  }
  if (typeof model !== 'string' || model.length === 0 || model.length > 200) throw invalid('model must be a non-empty string of at most 200 characters', 'model');

  const stream = body.stream ?? false;
  if (typeof stream !== 'boolean') throw invalid('stream must be a boolean', 'stream');
  if (endpoint === 'embeddings' && stream) throw invalid('embeddings cannot be streamed', 'stream');

  let n = 1;
  if (endpoint === 'chat' && body.n !== undefined && body.n !== null) {
    if (!Number.isSafeInteger(body.n) || (body.n as number) < 1) throw invalid('n must be a positive integer', 'n');
    n = body.n as number;
    if (n > opts.maxChoices) throw invalid(`n must be at most ${opts.maxChoices}`, 'n');
  }

  let maxOutputTokens: number | null = null;
  for (const field of OUTPUT_FIELDS[endpoint]) {
    const v = body[field];
    if (v === undefined || v === null) continue;
    if (!Number.isSafeInteger(v) || (v as number) < 1) throw invalid(`${field} must be a positive integer`, field);
    if ((v as number) > OUTPUT_TOKENS_CEILING) throw invalid(`${field} must be at most ${OUTPUT_TOKENS_CEILING}`, field);
    // Both chat fields set: the provider honours one of them; reserve for the larger.
    maxOutputTokens = Math.max(maxOutputTokens ?? 0, v as number);
  }

  let clientWantsUsage = false;
  if (body.stream_options !== undefined && body.stream_options !== null) {
    if (!isObject(body.stream_options)) throw invalid('stream_options must be an object', 'stream_options');
    const include = body.stream_options.include_usage;
    if (include !== undefined && include !== null && typeof include !== 'boolean') throw invalid('stream_options.include_usage must be a boolean', 'stream_options');
    clientWantsUsage = include === true;
  }

  checkPrompt(endpoint, body);
  // Kept only for the bytes this very value was parsed from. readJsonBody refused bodies that
  // repeat a key, so no member of them hides behind a later twin: what the policies decide on
  // is what the provider reads (plus the gateway's own edits).
  const r = opts.received;
  if (r && r.value === raw && r.raw && r.spans) {
    const received = { raw: r.raw, spans: r.spans, body };
    return { endpoint, body, model, stream, n, maxOutputTokens, clientWantsUsage, dropped: dropped ?? [], received };
  }
  return { endpoint, body, model, stream, n, maxOutputTokens, clientWantsUsage, dropped: dropped ?? [] };
}

function checkPrompt(endpoint: LlmEndpoint, body: Record<string, unknown>): void {
  switch (endpoint) {
    case 'chat': {
      const m = body.messages;
      if (!Array.isArray(m) || m.length === 0) throw invalid('messages must be a non-empty array', 'messages');
      for (let i = 0; i < m.length; i++) {
        if (!isObject(m[i])) throw invalid(`messages[${i}] must be an object`, 'messages');
      }
      if (body.tools !== undefined && body.tools !== null && !Array.isArray(body.tools)) throw invalid('tools must be an array', 'tools');
      return;
    }
    case 'responses': {
      const input = body.input;
      if (input !== undefined && typeof input !== 'string' && !Array.isArray(input)) throw invalid('input must be a string or an array', 'input');
      if (input === undefined && body.previous_response_id === undefined && body.prompt === undefined) {
        throw invalid('input is required', 'input');
      }
      // A background response answers with a placeholder and goes on generating at the
      // provider: its usage never passes the gateway (no GET /v1/responses/{id} here), so
      // neither its cost nor its output could be governed.
      if (body.background !== undefined && body.background !== null && body.background !== false) {
        throw invalid('background responses are not supported: the gateway serves and accounts only for answers it relays', 'background');
      }
      return;
    }
    case 'embeddings': {
      const input = body.input;
      const ok =
        typeof input === 'string' ||
        (Array.isArray(input) && input.length > 0 && input.every((x) => typeof x === 'string' || typeof x === 'number' || Array.isArray(x)));
      if (!ok) throw invalid('input must be a string, an array of strings or an array of token arrays', 'input');
      return;
    }
  }
}

function invalid(message: string, param: string | null): GatewayError {
  return new GatewayError('INVALID_PARAMS', message, param ? { details: { param } } : {});
}

/**
 * The request with an output limit the gateway enforces: a budget's clamp, or, when the client
 * set none, the limit its reservation assumed (a provider would otherwise produce up to the
 * model's own maximum, past what was reserved). upstreamBody writes it in each target's field.
 */
export function withEnforcedLimit(req: LlmRequest, limit: number): LlmRequest {
  return merged<LlmRequest>(req, { maxOutputTokens: limit, enforcedOutputLimit: limit });
}

/** An LLM request for output tokens that the client left unlimited (and the gateway has not limited yet). */
export function unlimitedOutput(payload: unknown): payload is LlmRequest {
  const req = payload as LlmRequest | undefined;
  return req !== undefined && req.endpoint !== 'embeddings' && req.maxOutputTokens === null && req.enforcedOutputLimit === undefined;
}

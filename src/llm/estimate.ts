/**
 * The worst case of an LLM request before it is sent: prompt tokens (exact for OpenAI's
 * encodings, an upper bound otherwise), output tokens (max_tokens x n, or the configured
 * default), and the cost of both at the priciest target the route may use. Rate limits and
 * budgets reserve this; the audit record keeps it next to what the provider reported.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { RequestContext } from '../pipeline/context.js';
import type { Usage } from '../pipeline/policy.js';
import { isObject } from '../util/is-object.js';
import type { ModelTarget, Route } from './model-directory.js';
import { worstCaseCostUsd } from './prices/cost.js';
import type { LlmRequest } from './request-body.js';
import { DEFAULT_IMAGE_TOKENS, TokenCounter, textUpperBound, type ChatPromptLike, type ExactTokenizer, type TokenCount } from './tokens/index.js';

export interface LlmEstimate {
  promptTokens: number;
  /** False when any part was bounded rather than counted; `bound` says what. */
  exact: boolean;
  bound?: string;
  /** Output tokens reserved per choice. */
  maxOutputTokens: number;
  n: number;
  /** promptTokens + maxOutputTokens x n. */
  worstCaseTokens: number;
  /** null: a target of the route has no price. */
  worstCaseUsd: number | null;
  hasTools: boolean;
  hasImages: boolean;
  /**
   * The same estimate with the prompt counted exactly wherever the encoding is known
   * (memoized; the estimate itself when it already is). Callers ask for it only where the
   * bound could change their decision: near a limit, a budget or a routing threshold.
   */
  exactly(): Promise<LlmEstimate>;
  /** The same estimate with a lower output limit per choice (a budget that clamps max_tokens). */
  withOutputLimit(maxOutputTokens: number): LlmEstimate;
}

/**
 * The exact estimate, or `e` itself (a bound, never below the count) if counting fails, e.g.
 * with the tokenizer thread down. For the steps past the policies, where the request has gone
 * on and must still be routed or billed; policies call exactly() and fail closed instead.
 */
export function exactlyOrBound(e: LlmEstimate): Promise<LlmEstimate> {
  return e.exactly().catch(() => e);
}

/** The worst case of `attempts` calls with this estimate, as chain usage; null when there is nothing to charge. */
export async function worstCaseOf(estimate: LlmEstimate | undefined, attempts: number): Promise<Usage | null> {
  if (!estimate || attempts <= 0) return null;
  const e = await exactlyOrBound(estimate);
  return {
    tokensIn: e.promptTokens * attempts,
    tokensOut: e.maxOutputTokens * e.n * attempts,
    ...(e.worstCaseUsd !== null ? { costUsd: e.worstCaseUsd * attempts } : {}),
  };
}

/** Where the llm-estimate policy leaves the estimate for the policies after it and the forward step. */
export const ESTIMATE_ANNOTATION = 'llm.estimate';

/** The estimate this request's llm-estimate step made (or a later policy refined), if any. */
export function estimateOf(ctx: RequestContext): LlmEstimate | undefined {
  return ctx.annotations[ESTIMATE_ANNOTATION] as LlmEstimate | undefined;
}

export interface EstimateOptions {
  defaultMaxOutputTokens: number;
  /** Tokens assumed for a Responses history the provider holds (previous_response_id). */
  heldHistoryTokens: number;
  /** Where exact counts run (default: the process's tokenizer thread). */
  tokenizer?: ExactTokenizer;
}

/** One counter per image-token setting (models may set their own), sharing nothing else. */
export class PromptEstimator {
  readonly #counters = new Map<number, TokenCounter>();
  readonly #opts: EstimateOptions;

  constructor(opts: EstimateOptions) {
    this.#opts = opts;
  }

  counter(imageTokens = DEFAULT_IMAGE_TOKENS): TokenCounter {
    let c = this.#counters.get(imageTokens);
    if (!c) {
      c = new TokenCounter({ imageTokens, ...(this.#opts.tokenizer ? { tokenizer: this.#opts.tokenizer } : {}) });
      this.#counters.set(imageTokens, c);
    }
    return c;
  }

  /**
   * The worst case from a cheap upper bound of the prompt (its UTF-8 bytes plus margins:
   * a BPE token is at least one byte), which never undercounts; `exactly()` counts.
   */
  estimate(req: LlmRequest, route: Route, scope: string): LlmEstimate {
    const outputTokens = this.#outputTokens(req, route.allTargets);
    const shape = promptShape(req);
    let refined: Promise<LlmEstimate> | undefined;
    const build = (p: TokenCount, exactly: () => Promise<LlmEstimate>, maxOutputTokens = outputTokens): LlmEstimate => {
      const n = req.n;
      let worstCaseUsd: number | null = 0;
      for (const t of route.allTargets) {
        if (!t.price) {
          worstCaseUsd = null;
          break;
        }
        worstCaseUsd = Math.max(worstCaseUsd, worstCaseCostUsd(t.price, p.tokens, maxOutputTokens * n));
      }
      return {
        promptTokens: p.tokens,
        exact: p.exact,
        ...(p.bound !== undefined ? { bound: p.bound } : {}),
        maxOutputTokens,
        n,
        worstCaseTokens: p.tokens + maxOutputTokens * n,
        worstCaseUsd,
        hasTools: shape.tools,
        hasImages: shape.images,
        exactly,
        withOutputLimit: (limit) => {
          const clamped: LlmEstimate = build(p, p.exact ? () => Promise.resolve(clamped) : () => exactly().then((e) => e.withOutputLimit(limit)), limit);
          return clamped;
        },
      };
    };
    const bound = this.#bound(req, route);
    if (bound.exact) {
      const e: LlmEstimate = build(bound, () => Promise.resolve(e));
      return e;
    }
    return build(bound, () => {
      refined ??= this.#exact(req, route, scope).then((p) => {
        const e: LlmEstimate = build(p, () => Promise.resolve(e));
        return e;
      });
      return refined;
    });
  }

  /** The largest prompt count among the route's targets; targets with the same tokenizer and image charge are counted once. */
  async #exact(req: LlmRequest, route: Route, scope: string): Promise<TokenCount> {
    const seen = new Map<string, TokenCount>();
    let prompt: TokenCount | undefined;
    for (const t of route.allTargets) {
      const key = `${t.encoding}/${t.imageTokens ?? ''}`;
      let c = seen.get(key);
      if (!c) {
        c = await this.#count(req, t, scope);
        seen.set(key, c);
      }
      if (!prompt || c.tokens > prompt.tokens || (c.tokens === prompt.tokens && !c.exact)) prompt = c;
    }
    return prompt!;
  }

  /** A bound valid for every target: the largest image charge among them. */
  #bound(req: LlmRequest, route: Route): TokenCount {
    let imageTokens = 0;
    for (const t of route.allTargets) imageTokens = Math.max(imageTokens, t.imageTokens ?? DEFAULT_IMAGE_TOKENS);
    const counter = this.counter(imageTokens);
    const body = req.body;
    switch (req.endpoint) {
      case 'chat':
        return this.#withHeldInput(counter.upperBound(body as never), req);
      case 'embeddings':
        return embeddingBound(body.input);
      case 'responses':
        return this.#withHeldInput(counter.upperBound(responsesPrompt(body)), req);
    }
  }

  #outputTokens(req: LlmRequest, targets: readonly ModelTarget[]): number {
    if (req.endpoint === 'embeddings') return 0;
    const limits = targets.map((t) => t.maxOutputTokens);
    if (req.maxOutputTokens !== null) {
      // Refused only when no target could honour it; otherwise the provider clamps or refuses.
      if (limits.every((l) => l !== undefined && req.maxOutputTokens! > l)) {
        const field = req.endpoint === 'responses' ? 'max_output_tokens' : req.body.max_completion_tokens != null ? 'max_completion_tokens' : 'max_tokens';
        throw new GatewayError('INVALID_PARAMS', `${field} is above the model's output limit of ${Math.max(...(limits as number[]))} tokens`, {
          details: { param: field },
        });
      }
      return req.maxOutputTokens;
    }
    let most = 0;
    for (const l of limits) most = Math.max(most, l ?? this.#opts.defaultMaxOutputTokens);
    return most;
  }

  async #count(req: LlmRequest, t: ModelTarget, scope: string): Promise<TokenCount> {
    const counter = this.counter(t.imageTokens);
    const target = { model: t.upstreamName, encoding: t.encoding };
    const body = req.body;
    switch (req.endpoint) {
      case 'chat':
        return this.#withHeldInput(await counter.countChat(body as never, target, { scope }), req);
      case 'embeddings':
        return countEmbeddingInput(counter, body.input, target, scope);
      case 'responses':
        return this.#withHeldInput(await counter.countChat(responsesPrompt(body), target, { scope }), req);
    }
  }

  /**
   * Input the provider holds or reads itself (an earlier response or its items, a
   * conversation, a stored prompt, files) counts as the configured bound, once: together it
   * cannot exceed a context window, and the request alone does not say how large it is.
   */
  #withHeldInput(count: TokenCount, req: LlmRequest): TokenCount {
    const held = providerHeldInput(req);
    if (held.length === 0) return count;
    return {
      tokens: count.tokens + this.#opts.heldHistoryTokens,
      exact: false,
      bound: [count.bound, `input held or read by the provider (${held.join(', ')}) counted as ${this.#opts.heldHistoryTokens} tokens`].filter(Boolean).join('; '),
    };
  }
}

/** What of the prompt the request only points to, for the provider to fill in. */
function providerHeldInput(req: LlmRequest): string[] {
  const body = req.body;
  const held: string[] = [];
  if (req.endpoint === 'responses') {
    if (body.previous_response_id != null) held.push('previous_response_id');
    if (body.conversation != null) held.push('conversation');
    if (body.prompt != null) held.push('a stored prompt template');
    const items = [...(Array.isArray(body.input) ? body.input : []), ...(Array.isArray(body.instructions) ? body.instructions : [])];
    if (items.some((item) => isObject(item) && item.type === 'item_reference')) held.push('item_reference');
    const fileIn = (parts: unknown): boolean => Array.isArray(parts) && parts.some((p: unknown) => isObject(p) && p.type === 'input_file');
    // A file in a message, or in a tool's output sent back (function_call_output.output as a list).
    if (items.some((item) => isObject(item) && (item.type === 'input_file' || fileIn(item.content) || fileIn(item.output)))) held.push('file inputs');
  } else if (req.endpoint === 'chat' && Array.isArray(body.messages)) {
    if (body.messages.some((m: unknown) => isObject(m) && Array.isArray(m.content) && m.content.some((p: unknown) => isObject(p) && p.type === 'file'))) held.push('file parts');
  }
  return held;
}

/**
 * The Responses API's prompt in the chat shape the counter reads: instructions (a text or a
 * list of items) and input as messages, tools, and a `text.format` JSON schema as the chat
 * API's `response_format`.
 */
function responsesPrompt(body: Readonly<Record<string, unknown>>): ChatPromptLike {
  const messages: object[] = [];
  const items = (list: unknown): void => {
    if (typeof list === 'string') messages.push({ role: 'user', content: list });
    else if (Array.isArray(list)) for (const item of list) messages.push(isObject(item) ? responsesItem(item) : { content: JSON.stringify(item) });
  };
  if (typeof body.instructions === 'string') messages.push({ role: 'system', content: body.instructions });
  else items(body.instructions);
  items(body.input);
  const format = isObject(body.text) ? body.text.format : undefined;
  return {
    messages,
    ...(Array.isArray(body.tools) ? { tools: body.tools as object[] } : {}),
    ...(isObject(format) && format.type === 'json_schema' ? { response_format: { type: 'json_schema', json_schema: format } } : {}),
  };
}

/** Embedding input: token ids are exact (one each), texts bounded by their UTF-8 bytes. */
function embeddingBound(input: unknown): TokenCount {
  const list = typeof input === 'string' ? [input] : (input as unknown[]);
  let tokens = 0;
  let texts = false;
  for (const x of list) {
    if (typeof x === 'number') tokens++;
    else if (Array.isArray(x)) tokens += x.length;
    else if (typeof x === 'string') {
      tokens += Buffer.byteLength(x, 'utf8');
      texts = true;
    }
  }
  return texts ? { tokens, exact: false, bound: 'upper bound: UTF-8 bytes (a token is at least one byte)' } : { tokens, exact: true };
}

/** A Responses input item in the chat message shape the counter reads (input_text parts as text). */
function responsesItem(item: Record<string, unknown>): object {
  if (!Array.isArray(item.content)) return item;
  const content = item.content.map((part: unknown) =>
    isObject(part) && (part.type === 'input_text' || part.type === 'output_text') && typeof part.text === 'string'
      ? { type: 'text', text: part.text }
      : isObject(part) && part.type === 'input_image'
        ? { type: 'image_url', image_url: { url: '' } }
        : part,
  );
  return { ...item, content };
}

async function countEmbeddingInput(counter: TokenCounter, input: unknown, target: { model: string; encoding: ModelTarget['encoding'] }, scope: string): Promise<TokenCount> {
  if (typeof input === 'string') return counter.countText(input, target, { scope });
  const list = input as unknown[];
  if (list.every((x) => typeof x === 'string')) return counter.countText(list as string[], target, { scope });
  // Token ids: one token each; a flat array of numbers is one input.
  let tokens = 0;
  const texts: string[] = [];
  for (const x of list) {
    if (typeof x === 'number') tokens++;
    else if (Array.isArray(x)) tokens += x.length;
    else if (typeof x === 'string') texts.push(x);
  }
  if (texts.length === 0) return { tokens, exact: true };
  const c = texts.length > 0 ? await counter.countText(texts, target, { scope }) : textUpperBound([]);
  return { ...c, tokens: c.tokens + tokens };
}

/** Whether a request defines tools or carries images (for route rules and the audit). */
export function promptShape(req: LlmRequest): { tools: boolean; images: boolean } {
  const b = req.body;
  const tools = Array.isArray(b.tools) ? b.tools.length > 0 : Array.isArray(b.functions) && b.functions.length > 0;
  let images = false;
  const scan = (items: unknown): void => {
    if (!Array.isArray(items)) return;
    for (const m of items) {
      if (!isObject(m) || !Array.isArray(m.content)) continue;
      for (const part of m.content) {
        if (isObject(part) && (part.type === 'image_url' || part.type === 'input_image')) {
          images = true;
          return;
        }
      }
    }
  };
  if (req.endpoint === 'chat') scan(b.messages);
  else if (req.endpoint === 'responses') scan(b.input);
  return { tools, images };
}

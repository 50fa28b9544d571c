import { hash } from 'node:crypto';
import { isObject } from '../../util/is-object.js';
import { measureMessage, measureRequestExtras, type Measure, type Measured, type MessageSize, type PromptShape } from './chat-prompt.js';
import { describeFlags, EstimateFlag } from './estimate-flags.js';
import { LruMap } from './lru.js';
import { encodingForModel, ENCODINGS, type EncodingName } from './model-encoding.js';
import { sharedTokenizer, type ExactTokenizer } from './tokenizer-thread.js';

/** A prompt's size in tokens. When `exact` is false, `bound` says what was bounded or estimated. */
export interface TokenCount {
  tokens: number;
  exact: boolean;
  bound?: string;
}

/** The model a prompt goes to. `encoding` overrides the name: null when the name is not really OpenAI's model. */
export interface TokenTarget {
  model: string;
  encoding?: EncodingName | null;
}

/** The parts of a chat completions request that reach the prompt (the `openai` package's params fit). */
export interface ChatPromptLike {
  messages: readonly object[];
  tools?: readonly object[] | null;
  functions?: readonly object[] | null;
  response_format?: object | null;
}

export interface TokenCounterOptions {
  /** Messages remembered by digest (default 10,000, about 2 MB). */
  cacheEntries?: number;
  /** Tokens charged per image part (default DEFAULT_IMAGE_TOKENS). */
  imageTokens?: number;
  /**
   * UTF-8 bytes of not-yet-seen text tokenized exactly per count; the rest is counted by its
   * UTF-8 length (default 131,072). Tokenizing takes up to about 750 ns per byte on text made
   * to be slow (random letters or CJK; about 100 ns for code and prose), so this caps one
   * count near 100 ms of the tokenizer thread (more on a slower host). Messages past it are
   * not remembered, so the next request of a growing history tokenizes the next part.
   */
  maxExactBytes?: number;
  /** Where texts are tokenized (default: the process's tokenizer thread). */
  tokenizer?: ExactTokenizer;
}

export interface CountOptions {
  /**
   * Cache partition (an agent or tenant id): a shared cache would let one agent time whether
   * another already sent a given message.
   */
  scope?: string;
}

/**
 * The default charge per image, a bound for OpenAI's documented image rules as of 2026-11:
 * tile-based models (gpt-4o, gpt-4.1, o-series) at most 85 + 8 x 170 = 1,445 tokens, and
 * patch-based ones at most 1,536 patches times a model multiplier of up to 2.46
 * (gpt-4.1-nano), 3,779 tokens. gpt-4o-mini bills images at about 33 times gpt-4o's tokens
 * (up to about 48,000): set imageTokens per model for it, and for other vendors.
 */
export const DEFAULT_IMAGE_TOKENS = 3_800;

const OPENAI_SHAPE = { perMessage: 3, replyPriming: 3 } as const;
/** Per-function tokens of the cookbook's tool rule: gpt-4o family 7, gpt-4 and gpt-3.5-turbo 10. */
const PER_FUNCTION: Record<EncodingName, number> = { o200k_base: 7, cl100k_base: 10 };
/**
 * The upper bound's fixed costs: above OpenAI's (3 per message, 3 for the reply), and above
 * common open-model chat templates (Llama 3: 5 per message and the role, 5 for the reply
 * with the begin-of-text token), so that the bound also serves models with no public tokenizer.
 */
const BOUND_SHAPE = { perMessage: 8, replyPriming: 8, perFunction: 10 } as const;
const BOUND_NOTE = 'upper bound: UTF-8 bytes of every text (a token is at least one byte) plus per-message margins';
const bytes: Measure = (s) => ({ tokens: Buffer.byteLength(s, 'utf8'), flags: 0 });

/**
 * Counts prompt tokens for the LLM proxy. Exact counts use gpt-tokenizer (the same counts as
 * js-tiktoken, 3 to 20 times faster: docs/benchmarks.md) on the tokenizer thread. Each
 * message's count is remembered by its digest, so a history resent with one new message
 * costs a hash per old message and a tokenization of the new one; a prompt whose messages
 * are all remembered is counted without the thread.
 */
export class TokenCounter {
  readonly #cache: LruMap<string, MessageSize>;
  readonly #imageTokens: number;
  readonly #maxExactBytes: number;
  readonly #tokenizer: ExactTokenizer;

  constructor(options: TokenCounterOptions = {}) {
    this.#cache = new LruMap(options.cacheEntries ?? 10_000);
    this.#imageTokens = options.imageTokens ?? DEFAULT_IMAGE_TOKENS;
    this.#maxExactBytes = options.maxExactBytes ?? 131_072;
    this.#tokenizer = options.tokenizer ?? sharedTokenizer();
  }

  /** Messages currently remembered. */
  get cacheSize(): number {
    return this.#cache.size;
  }

  /** Imports the encodings now (for example once the gateway listens) instead of at the first count. */
  async preload(encodings: readonly EncodingName[] = ENCODINGS): Promise<void> {
    await Promise.all(encodings.map((e) => this.#tokenizer.load(e)));
  }

  /** Prompt tokens of a chat completions request. Unknown models get the upper bound, flagged. */
  async countChat(request: ChatPromptLike, target: TokenTarget, options: CountOptions = {}): Promise<TokenCount> {
    const encoding = encodingOf(target);
    if (encoding === undefined) return unknownModel(target.model, this.upperBound(request));
    return this.#countChat(encoding, request, options.scope ?? '');
  }

  /** Tokens of plain text (embeddings input): no chat overhead. */
  async countText(input: string | readonly string[], target: TokenTarget, options: CountOptions = {}): Promise<TokenCount> {
    const texts = typeof input === 'string' ? [input] : input;
    const encoding = encodingOf(target);
    if (encoding === undefined) return unknownModel(target.model, textUpperBound(texts));
    const plan = new ExactPlan(this.#maxExactBytes);
    for (const t of texts) plan.collect(t);
    const measure = plan.replay(await this.#tokenizer.count(encoding, plan.texts, options.scope));
    let tokens = 0;
    let flags = 0;
    for (const t of texts) {
      const m = measure(t);
      tokens += m.tokens;
      flags |= m.flags;
    }
    return this.#result(tokens, flags, 0);
  }

  /**
   * A cheap count that is never below the exact one (for OpenAI's encodings; for others, on
   * the assumption of a byte-level BPE tokenizer): enough to decide that a prompt is well
   * under a limit without tokenizing it.
   */
  upperBound(request: ChatPromptLike): TokenCount {
    const shape: PromptShape = { perMessage: BOUND_SHAPE.perMessage, replyPriming: BOUND_SHAPE.replyPriming, perFunction: BOUND_SHAPE.perFunction, imageTokens: this.#imageTokens };
    let tokens = shape.replyPriming;
    let images = 0;
    for (const message of request.messages) {
      const m = measureMessage(asRecord(message), bytes, shape);
      tokens += m.tokens;
      images += m.images;
    }
    tokens += measureRequestExtras(request as unknown as Record<string, unknown>, bytes, shape).tokens;
    const notes = [BOUND_NOTE];
    if (images > 0) notes.push(...describeFlags(EstimateFlag.IMAGE, this.#context(images)));
    return { tokens, exact: false, bound: notes.join('; ') };
  }

  async #countChat(encoding: EncodingName, request: ChatPromptLike, scope: string): Promise<TokenCount> {
    const shape: PromptShape = { perMessage: OPENAI_SHAPE.perMessage, replyPriming: OPENAI_SHAPE.replyPriming, perFunction: PER_FUNCTION[encoding], imageTokens: this.#imageTokens };
    const prefix = `${encoding}\u0000${scope}\u0000`;
    const messages = request.messages.map(asRecord);
    const keys = messages.map((m) => prefix + hash('sha256', messageMaterial(m), 'base64'));
    const sizes = keys.map((k) => this.#cache.get(k));
    const req = request as unknown as Record<string, unknown>;
    const hasExtras = req.tools != null || req.functions != null || req.response_format != null;
    const extrasKey = hasExtras ? `${prefix}extras\u0000${hash('sha256', JSON.stringify([req.tools ?? null, req.functions ?? null, req.response_format ?? null]), 'base64')}` : '';
    let extras: MessageSize | undefined = hasExtras ? this.#cache.get(extrasKey) : undefined;

    // What is not remembered is measured twice: once to list its texts, which the tokenizer
    // thread counts together, then again with those counts. A message repeated in the prompt
    // is measured once (its first copy), as if the first had been remembered.
    const extrasMissing = hasExtras && extras === undefined;
    if (extrasMissing || sizes.includes(undefined)) {
      const plan = new ExactPlan(this.#maxExactBytes);
      const first = new Map<string, number>();
      for (let i = 0; i < messages.length; i++) {
        if (sizes[i] !== undefined || first.has(keys[i]!)) continue;
        first.set(keys[i]!, i);
        measureMessage(messages[i]!, plan.collect, shape);
      }
      if (extrasMissing) measureRequestExtras(req, plan.collect, shape);
      const measure = plan.replay(await this.#tokenizer.count(encoding, plan.texts, scope));
      for (let i = 0; i < messages.length; i++) {
        if (sizes[i] !== undefined) continue;
        const j = first.get(keys[i]!)!;
        if (j !== i) {
          sizes[i] = sizes[j];
          continue;
        }
        const size = measureMessage(messages[i]!, measure, shape);
        // A count cut short by this call's exact-text limit is not the message's own count.
        if ((size.flags & EstimateFlag.OVER_EXACT_LIMIT) === 0) this.#cache.set(keys[i]!, size);
        sizes[i] = size;
      }
      if (extrasMissing) {
        extras = { ...measureRequestExtras(req, measure, shape), images: 0 };
        if ((extras.flags & EstimateFlag.OVER_EXACT_LIMIT) === 0) this.#cache.set(extrasKey, extras);
      }
    }
    let tokens = shape.replyPriming;
    let flags = 0;
    let images = 0;
    for (const size of sizes) {
      tokens += size!.tokens;
      flags |= size!.flags;
      images += size!.images;
    }
    if (extras) {
      tokens += extras.tokens;
      flags |= extras.flags;
    }
    return this.#result(tokens, flags, images);
  }

  #result(tokens: number, flags: number, images: number): TokenCount {
    if (flags === 0) return { tokens, exact: true };
    return { tokens, exact: false, bound: describeFlags(flags, this.#context(images)).join('; ') };
  }

  #context(images: number) {
    return { images, imageTokens: this.#imageTokens, maxExactBytes: this.#maxExactBytes };
  }
}

/** UTF-8 length of texts: never below their token count in any byte-level BPE encoding. */
export function textUpperBound(input: string | readonly string[]): TokenCount {
  const texts = typeof input === 'string' ? [input] : input;
  let tokens = 0;
  for (const t of texts) tokens += Buffer.byteLength(t, 'utf8');
  return { tokens, exact: false, bound: 'upper bound: UTF-8 bytes (a token is at least one byte)' };
}

const NOTHING: Measured = { tokens: 0, flags: 0 };

/**
 * The texts one count tokenizes, listed by a first pass over the prompt (exactly until
 * maxExactBytes, then by UTF-8 length), and read back in the same order by a second pass.
 */
class ExactPlan {
  readonly texts: string[] = [];
  /** Per measured text in order: its index in `texts`, or its size when not tokenized. */
  readonly #order: Array<number | Measured> = [];
  readonly #seen: string[] = [];
  #remaining: number;

  constructor(maxExactBytes: number) {
    this.#remaining = maxExactBytes;
  }

  readonly collect: Measure = (s) => {
    this.#seen.push(s);
    if (s.length === 0) {
      this.#order.push(NOTHING);
      return NOTHING;
    }
    const size = Buffer.byteLength(s, 'utf8');
    if (size > this.#remaining) {
      this.#order.push({ tokens: size, flags: EstimateFlag.OVER_EXACT_LIMIT });
    } else {
      this.#remaining -= size;
      this.#order.push(this.texts.length);
      this.texts.push(s);
    }
    return NOTHING;
  };

  replay(counted: readonly Measured[]): Measure {
    let k = 0;
    return (s) => {
      // The second pass must ask for the same texts in the same order.
      if (s !== this.#seen[k]) throw new Error('prompt changed while its tokens were counted');
      const o = this.#order[k++]!;
      return typeof o === 'number' ? counted[o]! : o;
    };
  }
}

function encodingOf(target: TokenTarget): EncodingName | undefined {
  if (target.encoding === null) return undefined;
  return target.encoding ?? encodingForModel(target.model);
}

function unknownModel(model: string, bound: TokenCount): TokenCount {
  const name = JSON.stringify(model.length > 100 ? `${model.slice(0, 100)}...` : model);
  return { tokens: bound.tokens, exact: false, bound: `no public tokenizer for model ${name}: ${bound.bound ?? ''}` };
}

function asRecord(message: object): Record<string, unknown> {
  return isObject(message) ? message : { content: JSON.stringify(message) };
}

/**
 * What a message's digest is taken over. The common shape (string role, content and name)
 * is written out without JSON, length-prefixed so that no two messages share it; anything
 * else is its JSON. The plain form starts with a NUL, which JSON text never contains raw.
 */
function messageMaterial(m: Record<string, unknown>): string {
  const { role, content, name } = m;
  if (typeof role === 'string' && typeof content === 'string' && (name === undefined || typeof name === 'string')) {
    let plain = true;
    for (const key in m) {
      if (key !== 'role' && key !== 'content' && key !== 'name') {
        plain = false;
        break;
      }
    }
    if (plain) return `\u0000${role.length}\u0000${role}${name === undefined ? '-' : `${name.length}\u0000${name}`}\u0000${content}`;
  }
  return JSON.stringify(m);
}

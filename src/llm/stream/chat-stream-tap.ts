import type { ChatCompletion } from 'openai/resources/chat/completions';
import { isObject } from '../../util/is-object.js';
import { parseObjectData } from './parse-data.js';
import type { SseEvent } from './sse-parser.js';

/**
 * Watches a chat completions stream as a relay forwards it: finds the provider's usage,
 * keeps what was delivered (for counting tokens when usage never comes), and can rebuild
 * the whole `chat.completion` for the response cache. It never rewrites an event: the
 * relay forwards `raw` bytes or drops the event.
 *
 * The gateway always asks providers for usage (`stream_options.include_usage`), so a client
 * that did not ask must not see the extra usage-only chunk (`choices: []`, some providers
 * send `null` or leave it out); the `usage: null` on the other chunks is left as it is.
 */
export type ChatTapVerdict = 'forward' | 'drop' | 'done';

interface ToolCallState {
  id: string | undefined;
  type: string | undefined;
  name: string;
  args: string[];
}

interface ChoiceState {
  index: number;
  role: string | undefined;
  /** undefined until the provider sends a string (an empty one included). */
  content: string[] | undefined;
  refusal: string[] | undefined;
  /** Reasoning text of providers that stream it (`reasoning_content`, `reasoning`): delivered and billed. */
  reasoning: Map<string, string[]> | undefined;
  toolCalls: Map<number, ToolCallState> | undefined;
  lastToolIndex: number;
  functionCall: { name: string; args: string[] } | undefined;
  /** Other delta fields, merged as the `openai` client does (strings and arrays appended, the rest replaced). */
  extra: Record<string, unknown> | undefined;
  logprobs: { content: unknown[] | null; refusal: unknown[] | null } | null;
  finishReason: string | null;
  /** Audio deltas cannot be rebuilt faithfully here; such a stream is never cached. */
  hasAudio: boolean;
}

/**
 * Data that may hold a usage object or an error must be read at once; anything else can wait.
 * Quotes inside JSON strings are escaped, so only a key (or a delta that is exactly "error")
 * can match; a false match just parses that chunk early. A key may also be written with
 * escaped letters ("\u0075sage" is usage to JSON.parse): data with an escaped printable ASCII
 * character is read at once too (JSON writers escape only control and non-ASCII characters).
 */
const MAY_DECIDE = /"usage"\s*:\s*\{|"error"|\\u00[2-7][0-9a-fA-F]/;

const REASONING_FIELDS = new Set(['reasoning_content', 'reasoning']);
const KNOWN_DELTA_FIELDS = new Set(['role', 'content', 'refusal', 'tool_calls', 'function_call', 'audio', ...REASONING_FIELDS]);

export class ChatStreamTap {
  readonly #clientWantsUsage: boolean;
  #usage: Record<string, unknown> | undefined = undefined;
  #error: unknown = undefined;
  #sawDone = false;
  #chunks = 0;
  #choices = new Map<number, ChoiceState>();
  /** Data that was not a JSON object: forwarded as it came and counted as text. */
  #other: string[] = [];
  /** Content chunks not read yet (see observe): their data, or a usage-only chunk parsed to decide on it. */
  #deferred: Array<string | Record<string, unknown>> = [];
  #id: string | undefined = undefined;
  #created: number | undefined = undefined;
  #model: string | undefined = undefined;
  #systemFingerprint: string | undefined = undefined;
  #serviceTier: unknown = undefined;

  constructor(opts: { clientWantsUsage: boolean }) {
    this.#clientWantsUsage = opts.clientWantsUsage;
  }

  /** What the relay does with this event: forward its raw bytes, drop it, or forward it as the last one. */
  observe(ev: SseEvent): ChatTapVerdict {
    if (ev.comment) return 'forward';
    const data = ev.data;
    // The `openai` client takes any data starting with [DONE] as the end; so does the tap.
    if (data.startsWith('[DONE]')) {
      this.#sawDone = true;
      return 'done';
    }
    this.#chunks++;
    // Content chunks are kept as text and parsed only if the answer is needed (no usage came,
    // or the cache stores it): parsing each one cost more than the rest of the relay. Those
    // that may carry usage or an error are parsed now, since they may have to be dropped.
    if (ev.event !== 'error' && !MAY_DECIDE.test(data)) {
      this.#deferred.push(data);
      return 'forward';
    }
    const chunk = parseObjectData(data);
    if (!chunk) {
      this.#settle();
      this.#other.push(data);
      return 'forward';
    }
    const choices = chunk.choices;
    const usageOnly = !Array.isArray(choices) || choices.length === 0;
    const isError = ev.event === 'error' || (chunk.error !== undefined && chunk.error !== null);
    if (usageOnly && !isError && this.#deferred.length > 0) {
      // The usage chunk (last, usually) is read after the content before it, as it came: the
      // header fields of the answer are the first chunk's (id, model, created) and the last
      // one's (system_fingerprint, service_tier). Its usage counts now.
      if (isObject(chunk.usage)) this.#usage = chunk.usage;
      this.#deferred.push(chunk);
      return isObject(chunk.usage) && !this.#clientWantsUsage ? 'drop' : 'forward';
    }
    // Content keeps its order: what came before this chunk is read before it.
    this.#settle();
    const verdict = this.#take(chunk, ev.event === 'error');
    return verdict === 'usage-only' ? (this.#clientWantsUsage ? 'forward' : 'drop') : 'forward';
  }

  /** Parses the deferred content chunks, in order. */
  #settle(): void {
    if (this.#deferred.length === 0) return;
    const pending = this.#deferred;
    this.#deferred = [];
    for (const data of pending) {
      const chunk = typeof data === 'string' ? parseObjectData(data) : data;
      if (chunk) this.#take(chunk, false);
      else this.#other.push(data as string);
    }
  }

  #take(chunk: Record<string, unknown>, errorEvent: boolean): 'usage-only' | 'other' {
    if (errorEvent || (chunk.error !== undefined && chunk.error !== null)) {
      this.#error ??= chunk.error ?? chunk;
      return 'other';
    }
    this.#header(chunk);
    const usage = chunk.usage;
    if (isObject(usage)) this.#usage = usage;
    const choices = chunk.choices;
    if (!Array.isArray(choices) || choices.length === 0) return isObject(usage) ? 'usage-only' : 'other';
    for (const c of choices) if (isObject(c)) this.#choice(c);
    return 'other';
  }

  /** The provider's usage object as sent (explicit zeros included), or undefined if none came. */
  get usage(): unknown {
    if (this.#usage === undefined) this.#settle();
    return this.#usage;
  }

  /** An error the provider sent inside the stream (`error` field or `event: error`), if any. */
  get error(): unknown {
    this.#settle();
    return this.#error;
  }

  get sawDone(): boolean {
    return this.#sawDone;
  }

  /** Data events seen, dropped ones included; not comments, not [DONE]. */
  get chunks(): number {
    return this.#chunks;
  }

  /** Content, refusal, reasoning, tool-call names and arguments delivered, plus data that was not JSON. */
  get deliveredText(): string {
    this.#settle();
    // Joined per field, not spread: a long answer has more pieces than a call takes arguments.
    const parts: string[] = [];
    for (const c of this.#choices.values()) {
      if (c.content) parts.push(c.content.join(''));
      if (c.refusal) parts.push(c.refusal.join(''));
      if (c.reasoning) for (const r of c.reasoning.values()) parts.push(r.join(''));
      if (c.functionCall) parts.push(c.functionCall.name, c.functionCall.args.join(''));
      if (c.toolCalls) for (const t of c.toolCalls.values()) parts.push(t.name, t.args.join(''));
    }
    parts.push(this.#other.join(''));
    return parts.join('');
  }

  /**
   * The `chat.completion` the stream amounts to, for the response cache; undefined unless the
   * stream finished cleanly: [DONE] seen, a finish_reason for every choice, no error.
   */
  assemble(): ChatCompletion | undefined {
    this.#settle();
    if (!this.#sawDone || this.#error !== undefined || this.#choices.size === 0 || this.#other.length > 0) return undefined;
    const states = [...this.#choices.values()].sort((a, b) => a.index - b.index);
    const choices: Array<Record<string, unknown>> = [];
    for (const s of states) {
      if (s.finishReason === null || s.hasAudio) return undefined;
      choices.push({ index: s.index, message: messageOf(s), logprobs: s.logprobs, finish_reason: s.finishReason });
    }
    const completion: Record<string, unknown> = {
      id: this.#id ?? '',
      object: 'chat.completion',
      created: this.#created ?? 0,
      model: this.#model ?? '',
      choices,
    };
    if (this.#systemFingerprint !== undefined) completion.system_fingerprint = this.#systemFingerprint;
    if (this.#serviceTier !== undefined) completion.service_tier = this.#serviceTier;
    if (this.#usage !== undefined) completion.usage = this.#usage;
    return completion as unknown as ChatCompletion;
  }

  #header(chunk: Record<string, unknown>): void {
    // Some providers open with a chunk of empty id and model (Azure's prompt filter results).
    if (this.#id === undefined && typeof chunk.id === 'string' && chunk.id !== '') this.#id = chunk.id;
    if (this.#model === undefined && typeof chunk.model === 'string' && chunk.model !== '') this.#model = chunk.model;
    if (this.#created === undefined && typeof chunk.created === 'number' && chunk.created > 0) this.#created = chunk.created;
    if (typeof chunk.system_fingerprint === 'string') this.#systemFingerprint = chunk.system_fingerprint;
    if (chunk.service_tier !== undefined && chunk.service_tier !== null) this.#serviceTier = chunk.service_tier;
  }

  #choice(c: Record<string, unknown>): void {
    const index = typeof c.index === 'number' && Number.isSafeInteger(c.index) && c.index >= 0 ? c.index : 0;
    let s = this.#choices.get(index);
    if (!s) {
      s = newChoice(index);
      this.#choices.set(index, s);
    }
    if (typeof c.finish_reason === 'string') s.finishReason = c.finish_reason;
    if (isObject(c.logprobs)) addLogprobs(s, c.logprobs);
    const delta = c.delta;
    if (!isObject(delta)) return;
    if (typeof delta.role === 'string') s.role = delta.role;
    if (typeof delta.content === 'string') appendTo(s, 'content', delta.content);
    if (typeof delta.refusal === 'string') appendTo(s, 'refusal', delta.refusal);
    if (Array.isArray(delta.tool_calls)) for (const t of delta.tool_calls) if (isObject(t)) addToolCall(s, t);
    if (isObject(delta.function_call)) addFunctionCall(s, delta.function_call);
    if (delta.audio !== undefined && delta.audio !== null) s.hasAudio = true;
    for (const key in delta) {
      if (!KNOWN_DELTA_FIELDS.has(key)) mergeExtra(s, key, delta[key]);
      else if (REASONING_FIELDS.has(key) && typeof delta[key] === 'string') {
        s.reasoning ??= new Map();
        const parts = s.reasoning.get(key);
        if (parts) parts.push(delta[key]);
        else s.reasoning.set(key, [delta[key]]);
      }
    }
  }
}

function newChoice(index: number): ChoiceState {
  return {
    index,
    role: undefined,
    content: undefined,
    refusal: undefined,
    reasoning: undefined,
    toolCalls: undefined,
    lastToolIndex: -1,
    functionCall: undefined,
    extra: undefined,
    logprobs: null,
    finishReason: null,
    hasAudio: false,
  };
}

function appendTo(s: ChoiceState, field: 'content' | 'refusal', text: string): void {
  const parts = (s[field] ??= []);
  if (text !== '') parts.push(text);
}

function addToolCall(s: ChoiceState, t: Record<string, unknown>): void {
  const calls = (s.toolCalls ??= new Map());
  // OpenAI always sends `index`; without it a new id opens a call and anything else continues the last one.
  const index =
    typeof t.index === 'number' && Number.isSafeInteger(t.index) ? t.index : typeof t.id === 'string' ? calls.size : Math.max(s.lastToolIndex, 0);
  s.lastToolIndex = index;
  let call = calls.get(index);
  if (!call) {
    call = { id: undefined, type: undefined, name: '', args: [] };
    calls.set(index, call);
  }
  if (typeof t.id === 'string' && t.id !== '') call.id = t.id;
  if (typeof t.type === 'string') call.type = t.type;
  const fn = t.function;
  if (isObject(fn)) {
    if (typeof fn.name === 'string' && fn.name !== '') call.name = fn.name;
    if (typeof fn.arguments === 'string' && fn.arguments !== '') call.args.push(fn.arguments);
  }
}

function addFunctionCall(s: ChoiceState, fn: Record<string, unknown>): void {
  const call = (s.functionCall ??= { name: '', args: [] });
  if (typeof fn.name === 'string' && fn.name !== '') call.name = fn.name;
  if (typeof fn.arguments === 'string' && fn.arguments !== '') call.args.push(fn.arguments);
}

function addLogprobs(s: ChoiceState, lp: Record<string, unknown>): void {
  const into = (s.logprobs ??= { content: null, refusal: null });
  if (Array.isArray(lp.content)) (into.content ??= []).push(...lp.content);
  if (Array.isArray(lp.refusal)) (into.refusal ??= []).push(...lp.refusal);
}

function mergeExtra(s: ChoiceState, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const extra = (s.extra ??= {});
  const prev = extra[key];
  if (typeof value === 'string' && typeof prev === 'string') extra[key] = prev + value;
  else if (Array.isArray(value) && Array.isArray(prev)) prev.push(...value);
  else extra[key] = Array.isArray(value) ? [...value] : value;
}

function messageOf(s: ChoiceState): Record<string, unknown> {
  const message: Record<string, unknown> = {
    ...s.extra,
    role: s.role ?? 'assistant',
    content: s.content ? s.content.join('') : null,
    refusal: s.refusal ? s.refusal.join('') : null,
  };
  if (s.reasoning) for (const [key, parts] of s.reasoning) message[key] = parts.join('');
  if (s.toolCalls && s.toolCalls.size > 0) {
    message.tool_calls = [...s.toolCalls.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([, t]) => ({ id: t.id ?? '', type: t.type ?? 'function', function: { name: t.name, arguments: t.args.join('') } }));
  }
  if (s.functionCall) message.function_call = { name: s.functionCall.name, arguments: s.functionCall.args.join('') };
  return message;
}

import { isObject } from '../../util/is-object.js';

/**
 * Serving a cached answer to a client that asked for a stream: the stored `chat.completion`
 * or Responses API `response` is cut into the events the provider would have sent, so the
 * official clients' stream helpers rebuild the same message. Usage is replayed as stored;
 * a caller that bills cache hits as free passes the object it wants the client to see.
 */
export interface ReplayOptions {
  /** UTF-16 units of text per delta (default 256); pairs of surrogates are never cut. */
  pieceChars?: number;
}

const DEFAULT_PIECE_CHARS = 256;
const REASONING_FIELDS = ['reasoning_content', 'reasoning'] as const;
const MESSAGE_FIELDS = new Set(['role', 'content', 'refusal', 'tool_calls', 'function_call', ...REASONING_FIELDS]);

/**
 * A chat completions chunk stream: per choice a role chunk, reasoning, content and refusal
 * deltas, tool calls (name first, then arguments), any other message fields, and a finish
 * chunk; then, with `includeUsage`, the usage chunk (`choices: []`; the others carry
 * `usage: null`) and `data: [DONE]`. Choices follow one another rather than interleave.
 */
export function chatCompletionToSse(completion: object, opts: { includeUsage: boolean } & ReplayOptions): Buffer {
  const c = completion as Record<string, unknown>;
  const piece = opts.pieceChars ?? DEFAULT_PIECE_CHARS;
  const head: Record<string, unknown> = { id: c.id, object: 'chat.completion.chunk', created: c.created, model: c.model };
  if (c.service_tier !== undefined) head.service_tier = c.service_tier;
  if (c.system_fingerprint !== undefined) head.system_fingerprint = c.system_fingerprint;
  const out: string[] = [];
  const emit = (choice: Record<string, unknown>) => {
    const chunk = { ...head, choices: [choice] };
    out.push(`data: ${JSON.stringify(opts.includeUsage ? { ...chunk, usage: null } : chunk)}\n\n`);
  };
  const choices = Array.isArray(c.choices) ? c.choices.filter(isObject) : [];
  for (const choice of choices) {
    const index = choice.index ?? 0;
    const delta = (d: Record<string, unknown>) => emit({ index, delta: d, logprobs: null, finish_reason: null });
    const m = isObject(choice.message) ? choice.message : {};
    delta({ role: m.role ?? 'assistant', content: typeof m.content === 'string' ? '' : null, refusal: null });
    for (const field of REASONING_FIELDS) {
      const text = m[field];
      if (typeof text === 'string') for (const p of pieces(text, piece)) delta({ [field]: p });
    }
    if (typeof m.content === 'string') for (const p of pieces(m.content, piece)) delta({ content: p });
    if (typeof m.refusal === 'string') for (const p of pieces(m.refusal, piece)) delta({ refusal: p });
    const toolCalls = Array.isArray(m.tool_calls) ? m.tool_calls.filter(isObject) : [];
    toolCalls.forEach((t, i) => {
      const fn = isObject(t.function) ? t.function : {};
      delta({ tool_calls: [{ index: i, id: t.id, type: t.type ?? 'function', function: { name: fn.name, arguments: '' } }] });
      for (const p of pieces(stringOr(fn.arguments), piece)) delta({ tool_calls: [{ index: i, function: { arguments: p } }] });
    });
    if (isObject(m.function_call)) {
      const fn = m.function_call;
      delta({ function_call: { name: fn.name, arguments: '' } });
      for (const p of pieces(stringOr(fn.arguments), piece)) delta({ function_call: { arguments: p } });
    }
    const rest: Record<string, unknown> = {};
    let hasRest = false;
    for (const key in m) {
      // An empty list (`annotations: []` of a whole answer) says nothing a delta needs to carry.
      if (MESSAGE_FIELDS.has(key) || m[key] === undefined || m[key] === null || (Array.isArray(m[key]) && m[key].length === 0)) continue;
      rest[key] = m[key];
      hasRest = true;
    }
    if (hasRest) delta(rest);
    emit({ index, delta: {}, logprobs: choice.logprobs ?? null, finish_reason: choice.finish_reason ?? 'stop' });
  }
  if (opts.includeUsage && isObject(c.usage)) out.push(`data: ${JSON.stringify({ ...head, choices: [], usage: c.usage })}\n\n`);
  out.push('data: [DONE]\n\n');
  return Buffer.from(out.join(''), 'utf8');
}

/**
 * A Responses API event stream: `response.created` and `response.in_progress` (the response
 * with no output yet), each output item opened, filled by deltas and closed, then the
 * terminal event its status calls for (`response.completed`, `.incomplete` or `.failed`),
 * numbered by `sequence_number` from 0.
 */
export function responseToSse(response: object, opts: ReplayOptions = {}): Buffer {
  const r = response as Record<string, unknown>;
  const piece = opts.pieceChars ?? DEFAULT_PIECE_CHARS;
  const out: string[] = [];
  let seq = 0;
  const emit = (type: string, fields: Record<string, unknown>) => {
    out.push(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: seq++, ...fields })}\n\n`);
  };
  const started = { ...r, status: 'in_progress', output: [], usage: null };
  emit('response.created', { response: started });
  emit('response.in_progress', { response: started });
  const output = Array.isArray(r.output) ? r.output.filter(isObject) : [];
  output.forEach((item, output_index) => {
    const item_id = item.id;
    if (item.type === 'message') {
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', content: [] } });
      const content = Array.isArray(item.content) ? item.content.filter(isObject) : [];
      content.forEach((part, content_index) => {
        const at = { item_id, output_index, content_index };
        if (part.type === 'output_text') {
          const text = stringOr(part.text);
          emit('response.content_part.added', { ...at, part: { ...part, text: '', annotations: [] } });
          for (const p of pieces(text, piece)) emit('response.output_text.delta', { ...at, delta: p, logprobs: [] });
          emit('response.output_text.done', { ...at, text, logprobs: [] });
        } else if (part.type === 'refusal') {
          const refusal = stringOr(part.refusal);
          emit('response.content_part.added', { ...at, part: { ...part, refusal: '' } });
          for (const p of pieces(refusal, piece)) emit('response.refusal.delta', { ...at, delta: p });
          emit('response.refusal.done', { ...at, refusal });
        } else {
          emit('response.content_part.added', { ...at, part });
        }
        emit('response.content_part.done', { ...at, part });
      });
    } else if (item.type === 'function_call') {
      const args = stringOr(item.arguments);
      emit('response.output_item.added', { output_index, item: { ...item, status: 'in_progress', arguments: '' } });
      for (const p of pieces(args, piece)) emit('response.function_call_arguments.delta', { item_id, output_index, delta: p });
      emit('response.function_call_arguments.done', { item_id, output_index, name: item.name, arguments: args });
    } else {
      emit('response.output_item.added', { output_index, item });
    }
    emit('response.output_item.done', { output_index, item });
  });
  const terminal = r.status === 'incomplete' ? 'response.incomplete' : r.status === 'failed' ? 'response.failed' : 'response.completed';
  emit(terminal, { response: r });
  return Buffer.from(out.join(''), 'utf8');
}

function stringOr(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** `text` in pieces of about `size` UTF-16 units, never between the two halves of a surrogate pair. */
function pieces(text: string, size: number): string[] {
  const step = Math.max(2, Math.floor(size));
  if (text.length <= step) return text === '' ? [] : [text];
  const out: string[] = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(start + step, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    out.push(text.slice(start, end));
    start = end;
  }
  return out;
}

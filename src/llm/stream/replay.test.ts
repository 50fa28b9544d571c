import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import type { Response } from 'openai/resources/responses/responses';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatStreamTap } from './chat-stream-tap.js';
import { chatCompletionToSse, responseToSse } from './replay.js';
import { ResponsesStreamTap } from './responses-stream-tap.js';
import { eventsOf, serveStream, TOOL_CALL_COMPLETION } from './test-fixtures.js';

const USAGE = { prompt_tokens: 20, completion_tokens: 0, total_tokens: 20 };

const TEXT: ChatCompletion = {
  id: 'chatcmpl-9',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini-2024-07-18',
  system_fingerprint: 'fp_9',
  choices: [
    {
      index: 0,
      finish_reason: 'stop',
      logprobs: null,
      // 🙂 is a surrogate pair; with 5-unit pieces one lands across a piece boundary.
      message: { role: 'assistant', content: 'Héllo 🙂 wörld, a longer answer 漢字 🙂🙂 to cut into pieces.', refusal: null },
    },
    { index: 1, finish_reason: 'length', logprobs: null, message: { role: 'assistant', content: 'Second', refusal: null } },
  ],
  usage: USAGE,
};

const TOOLS = TOOL_CALL_COMPLETION;

const REFUSAL: ChatCompletion = {
  id: 'chatcmpl-11',
  object: 'chat.completion',
  created: 1700000002,
  model: 'gpt-4o',
  choices: [{ index: 0, finish_reason: 'stop', logprobs: null, message: { role: 'assistant', content: null, refusal: "I can't help with that." } }],
};

let close: (() => Promise<void>) | undefined;
afterEach(async () => {
  await close?.();
  close = undefined;
});

async function clientFor(bytes: Buffer): Promise<OpenAI> {
  const server = await serveStream(bytes);
  close = server.close;
  return new OpenAI({ baseURL: server.baseURL, apiKey: 'k', maxRetries: 0 });
}

/** The `openai` helpers add fields of their own (`parsed`, `output_text`...); the wire shape has none. */
function wireShape(v: unknown): unknown {
  const own = new Set(['parsed', 'parsed_arguments', 'output_text', 'output_parsed']);
  return JSON.parse(JSON.stringify(v, (k, val) => (own.has(k) ? undefined : val)));
}

describe('chatCompletionToSse', () => {
  for (const [name, completion] of [
    ['text, n = 2', TEXT],
    ['tool calls', TOOLS],
    ['refusal', REFUSAL],
  ] as const) {
    it(`is rebuilt into the same completion by the openai client (${name})`, async () => {
      // A client that asked for usage sees `usage: null` when the stored answer has none.
      const client = await clientFor(chatCompletionToSse(completion, { includeUsage: completion.usage !== undefined, pieceChars: 5 }));
      const rebuilt = await client.chat.completions.stream({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
      expect(wireShape(rebuilt)).toEqual(completion);
    });
  }

  it('cuts text into several deltas without splitting a surrogate pair', () => {
    const events = eventsOf(chatCompletionToSse(TEXT, { includeUsage: false, pieceChars: 5 }));
    const pieces = events
      .filter((e) => e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data) as ChatCompletionChunk).choices[0]?.delta.content)
      .filter((c): c is string => typeof c === 'string' && c !== '');
    expect(pieces.length).toBeGreaterThan(5);
    expect(pieces.join('')).toBe(`${TEXT.choices[0]!.message.content}Second`);
    for (const p of pieces) expect(p).toBe(Buffer.from(p).toString('utf8')); // a lone surrogate would not survive UTF-8
  });

  it('carries other message fields in a delta, but not an empty list such as annotations: []', () => {
    const withFields = structuredClone(TEXT) as unknown as { choices: Array<{ message: Record<string, unknown> }> };
    withFields.choices[0]!.message.annotations = [];
    withFields.choices[1]!.message.annotations = [{ type: 'url_citation', url_citation: { url: 'https://example.com', title: 'x', start_index: 0, end_index: 1 } }];
    const deltas = eventsOf(chatCompletionToSse(withFields as unknown as ChatCompletion, { includeUsage: false }))
      .filter((e) => e.data !== '[DONE]')
      .map((e) => (JSON.parse(e.data) as ChatCompletionChunk).choices[0]!);
    const carrying = deltas.filter((c) => 'annotations' in c.delta);
    expect(carrying.map((c) => c.index)).toEqual([1]);
  });

  it('sends the usage chunk with empty choices and usage: null elsewhere only when usage was asked for', async () => {
    const client = await clientFor(chatCompletionToSse(TEXT, { includeUsage: true }));
    const chunks: ChatCompletionChunk[] = [];
    for await (const c of await client.chat.completions.create({ model: 'm', messages: [], stream: true })) chunks.push(c);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: USAGE });
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0]!.choices[0]!.delta.role).toBe('assistant');

    const without = eventsOf(chatCompletionToSse(TEXT, { includeUsage: false }));
    expect(without.at(-1)!.data).toBe('[DONE]');
    expect(without.slice(0, -1).every((e) => !('usage' in JSON.parse(e.data)))).toBe(true);
  });

  it('round-trips through the chat tap: the replay of an assembled stream assembles to the same completion', () => {
    for (const completion of [TEXT, TOOLS, REFUSAL]) {
      const tap = new ChatStreamTap({ clientWantsUsage: true });
      for (const ev of eventsOf(chatCompletionToSse(completion, { includeUsage: true, pieceChars: 3 }))) tap.observe(ev);
      expect(tap.assemble()).toEqual(completion);
    }
  });
});

const RESPONSE: Response = {
  id: 'resp_1',
  object: 'response',
  created_at: 1700000000,
  status: 'completed',
  error: null,
  incomplete_details: null,
  instructions: null,
  max_output_tokens: null,
  model: 'gpt-4o-mini',
  parallel_tool_calls: true,
  temperature: 1,
  tool_choice: 'auto',
  tools: [],
  top_p: 1,
  metadata: {},
  output: [
    { id: 'rs_1', type: 'reasoning', summary: [{ type: 'summary_text', text: 'Thought about it.' }] },
    {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      status: 'completed',
      content: [
        { type: 'output_text', text: 'Bonjour 🙂, voilà une réponse assez longue.', annotations: [], logprobs: [] },
        { type: 'refusal', refusal: 'But not that part.' },
      ],
    },
    { id: 'fc_1', type: 'function_call', call_id: 'call_1', name: 'lookup', arguments: '{"q":"weather in Paris"}', status: 'completed' },
  ],
  usage: { input_tokens: 30, input_tokens_details: { cached_tokens: 0 }, output_tokens: 25, output_tokens_details: { reasoning_tokens: 10 }, total_tokens: 55 },
} as unknown as Response;

describe('responseToSse', () => {
  it('is rebuilt into the same response by the openai client', async () => {
    const client = await clientFor(responseToSse(RESPONSE, { pieceChars: 6 }));
    const stream = client.responses.stream({ model: 'm', input: 'hi' });
    const deltas: string[] = [];
    stream.on('response.output_text.delta', (e) => deltas.push(e.delta));
    const rebuilt = await stream.finalResponse();
    expect(wireShape(rebuilt)).toEqual(RESPONSE);
    expect(deltas.length).toBeGreaterThan(3);
    expect(rebuilt.output_text).toBe('Bonjour 🙂, voilà une réponse assez longue.');
  });

  it('numbers events from 0, opens with response.created and closes with response.completed', () => {
    const events = eventsOf(responseToSse(RESPONSE)).map((e) => ({ event: e.event, ...(JSON.parse(e.data) as { type: string; sequence_number: number }) }));
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
    expect(events.every((e) => e.event === e.type)).toBe(true);
    expect(events[0]).toMatchObject({ type: 'response.created', response: { status: 'in_progress', output: [], usage: null } });
    expect(events.at(-1)).toMatchObject({ type: 'response.completed', response: RESPONSE });
  });

  it('closes an incomplete response with response.incomplete', () => {
    const incomplete = { ...RESPONSE, status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    const last = eventsOf(responseToSse(incomplete)).at(-1)!;
    expect(last.event).toBe('response.incomplete');
  });

  it('round-trips through the responses tap', () => {
    const tap = new ResponsesStreamTap();
    const verdicts = eventsOf(responseToSse(RESPONSE, { pieceChars: 4 })).map((ev) => tap.observe(ev));
    expect(verdicts.at(-1)).toBe('done');
    expect(tap.finalResponse).toEqual(RESPONSE);
    expect(tap.usage).toEqual(RESPONSE.usage);
    expect(tap.deliveredText).toBe('Bonjour 🙂, voilà une réponse assez longue.But not that part.lookup{"q":"weather in Paris"}');
  });
});

import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { ChatStreamTap } from './chat-stream-tap.js';
import { eventsOf, serveStream, sseData, TOOL_CALL_COMPLETION } from './test-fixtures.js';

const HEAD = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini', system_fingerprint: 'fp_1' };
const chunk = (choices: object[], extra: object = {}) => ({ ...HEAD, choices, ...extra });
const delta = (d: object, index = 0, finish_reason: string | null = null) => ({ index, delta: d, logprobs: null, finish_reason });
const USAGE = TOOL_CALL_COMPLETION.usage;

/** A stream as OpenAI sends it with include_usage: `usage: null` on every chunk, then the usage chunk. */
const WITH_USAGE = sseData(
  chunk([delta({ role: 'assistant', content: '', refusal: null })], { usage: null }),
  chunk([delta({ content: 'Hello' })], { usage: null }),
  chunk([delta({ content: ' world' })], { usage: null }),
  chunk([delta({}, 0, 'stop')], { usage: null }),
  chunk([], { usage: USAGE }),
  '[DONE]',
);

function run(tap: ChatStreamTap, stream: string) {
  return eventsOf(stream).map((ev) => tap.observe(ev));
}

describe('ChatStreamTap verdicts', () => {
  it('drops the usage-only chunk when the client did not ask for usage, and still reads it', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    expect(run(tap, WITH_USAGE)).toEqual(['forward', 'forward', 'forward', 'forward', 'drop', 'done']);
    expect(tap.usage).toEqual(USAGE);
    expect(tap.sawDone).toBe(true);
    expect(tap.chunks).toBe(5);
  });

  it('forwards the usage-only chunk when the client asked for usage', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: true });
    expect(run(tap, WITH_USAGE)).toEqual(['forward', 'forward', 'forward', 'forward', 'forward', 'done']);
    expect(tap.usage).toEqual(USAGE);
  });

  it('drops a usage-only chunk whose choices are null or missing (vLLM and others)', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    const stream = sseData({ ...HEAD, choices: null, usage: USAGE }, { ...HEAD, usage: USAGE });
    expect(run(tap, stream)).toEqual(['drop', 'drop']);
  });

  it('keeps a provider usage of explicit zeros', () => {
    const zeros = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, sseData(chunk([delta({}, 0, 'stop')]), chunk([], { usage: zeros }), '[DONE]'));
    expect(tap.usage).toEqual(zeros);
  });

  it('leaves usage undefined when every chunk says usage: null', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, sseData(chunk([delta({ content: 'x' })], { usage: null }), chunk([delta({}, 0, 'stop')], { usage: null })));
    expect(tap.usage).toBeUndefined();
  });

  it('forwards an empty-choices chunk without usage (Azure prompt filter results)', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    expect(run(tap, sseData({ id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: [] }))).toEqual(['forward']);
  });

  it('forwards usage that rides on a content chunk, since dropping it would drop text', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    expect(run(tap, sseData(chunk([delta({ content: 'x' }, 0, 'stop')], { usage: USAGE })))).toEqual(['forward']);
    expect(tap.usage).toEqual(USAGE);
  });

  it('keeps the delivered text in order when usage rides on a content chunk after deferred ones', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    const stream = sseData(
      chunk([delta({ role: 'assistant', content: 'one' })], { usage: null }),
      chunk([delta({ content: ' two' })], { usage: null }),
      chunk([delta({ content: ' three' }, 0, 'stop')], { usage: USAGE }),
      chunk([delta({ content: ' four' })]),
      '[DONE]',
    );
    expect(run(tap, stream)).toEqual(['forward', 'forward', 'forward', 'forward', 'done']);
    expect(tap.usage).toEqual(USAGE);
    expect(tap.deliveredText).toBe('one two three four');
  });

  it('still finds usage whose key is written with escapes, when the stream is read at the end', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: true });
    // JSON text with the key spelled "\u0075sage": JSON.parse reads it as usage.
    const escaped = JSON.stringify(chunk([])).replace(/}$/, `,"\\u0075sage":${JSON.stringify(USAGE)}}`);
    const stream = sseData(chunk([delta({ content: 'Hi' }, 0, 'stop')], { usage: null })) + `data: ${escaped}\n\n` + sseData('[DONE]');
    expect(run(tap, stream)).toEqual(['forward', 'forward', 'done']);
    expect(tap.usage).toEqual(USAGE);
    expect(tap.deliveredText).toBe('Hi');
  });

  it('drops a usage-only chunk whose key is written with escapes, like one written plainly, when the client did not ask', () => {
    // JSON text with the key spelled "\u0075sage" (or any other escaped letter): JSON.parse reads it as usage.
    for (const key of ['\\u0075sage', 'us\\u0061ge', 'usag\\u0065']) {
      const escaped = JSON.stringify(chunk([])).replace(/}$/, `,"${key}":${JSON.stringify(USAGE)}}`);
      const tap = new ChatStreamTap({ clientWantsUsage: false });
      const stream = sseData(chunk([delta({ content: 'Hi' }, 0, 'stop')], { usage: null })) + `data: ${escaped}\n\n` + sseData('[DONE]');
      expect(run(tap, stream)).toEqual(['forward', 'drop', 'done']);
      expect(tap.usage).toEqual(USAGE);
    }
  });

  it('forwards keep-alive comments without counting them', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    expect(run(tap, ': keep-alive\n\n')).toEqual(['forward']);
    expect(tap.chunks).toBe(0);
  });

  it('forwards data that is not JSON and counts it as delivered text', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    expect(run(tap, sseData(chunk([delta({ content: 'a' })]), 'oops, not json', chunk([delta({}, 0, 'stop')]), '[DONE]'))).toEqual([
      'forward',
      'forward',
      'forward',
      'done',
    ]);
    expect(tap.deliveredText).toBe('aoops, not json');
    expect(tap.assemble()).toBeUndefined();
  });

  it('records an error the provider sends inside the stream and does not assemble', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    const error = { message: 'overloaded', type: 'server_error' };
    expect(run(tap, sseData(chunk([delta({ content: 'a' }, 0, 'stop')]), { error }, '[DONE]'))).toEqual(['forward', 'forward', 'done']);
    expect(tap.error).toEqual(error);
    expect(tap.assemble()).toBeUndefined();
  });
});

/** Two tool calls streamed in parallel, their argument pieces interleaved, as OpenAI does. */
const TOOL_STREAM = sseData(
  chunk([delta({ role: 'assistant', content: null, tool_calls: [{ index: 0, id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '' } }] })]),
  chunk([delta({ tool_calls: [{ index: 0, function: { arguments: '{"ci' } }] })]),
  chunk([delta({ tool_calls: [{ index: 1, id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } }] })]),
  chunk([delta({ tool_calls: [{ index: 0, function: { arguments: 'ty":"Paris"}' } }] })]),
  chunk([delta({ tool_calls: [{ index: 1, function: { arguments: '{"tz":"CET"}' } }] })]),
  chunk([delta({}, 0, 'tool_calls')]),
  chunk([], { usage: USAGE }),
  '[DONE]',
);

/** n = 2, chunks of the two choices interleaved, one of them refusing. */
const N2_STREAM = sseData(
  chunk([delta({ role: 'assistant', content: '' }, 0)]),
  chunk([delta({ role: 'assistant', content: '' }, 1)]),
  chunk([delta({ content: 'Bonjour' }, 1)]),
  chunk([delta({ content: 'Hello' }, 0)]),
  chunk([delta({ content: ' there' }, 0)]),
  chunk([delta({ refusal: 'I cannot' }, 1)]),
  chunk([delta({}, 1, 'stop')]),
  chunk([delta({}, 0, 'length')]),
  '[DONE]',
);

describe('ChatStreamTap.assemble', () => {
  it('merges tool-call arguments across chunks by index', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, TOOL_STREAM);
    expect(tap.assemble()).toEqual(TOOL_CALL_COMPLETION);
    expect(tap.deliveredText).toBe('get_weather{"city":"Paris"}get_time{"tz":"CET"}');
  });

  it('keeps n > 1 choices apart, each with its own finish_reason', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, N2_STREAM);
    const c = tap.assemble() as { choices: Array<{ index: number; finish_reason: string; message: object }> };
    expect(c.choices.map((ch) => [ch.index, ch.finish_reason, ch.message])).toEqual([
      [0, 'length', { role: 'assistant', content: 'Hello there', refusal: null }],
      [1, 'stop', { role: 'assistant', content: 'Bonjour', refusal: 'I cannot' }],
    ]);
  });

  it('is undefined for a stream that broke before [DONE]', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, WITH_USAGE.slice(0, WITH_USAGE.indexOf('data: [DONE]')));
    expect(tap.sawDone).toBe(false);
    expect(tap.assemble()).toBeUndefined();
    expect(tap.deliveredText).toBe('Hello world');
  });

  it('is undefined when a choice never finished', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, sseData(chunk([delta({ content: 'a' }, 0, 'stop')]), chunk([delta({ content: 'b' }, 1)]), '[DONE]'));
    expect(tap.assemble()).toBeUndefined();
  });

  it('keeps the reasoning text some providers stream, in the message and the delivered text', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    run(tap, sseData(chunk([delta({ reasoning_content: 'think ' })]), chunk([delta({ reasoning_content: 'hard' })]), chunk([delta({ content: '42' }, 0, 'stop')]), '[DONE]'));
    const c = tap.assemble() as unknown as { choices: Array<{ message: Record<string, unknown> }> };
    expect(c.choices[0]!.message).toMatchObject({ reasoning_content: 'think hard', content: '42' });
    expect(tap.deliveredText).toBe('42think hard');
  });

  it('reads the header fields in stream order: id, model and created of the first chunk, system_fingerprint and service_tier of the last, though the usage chunk is read first', () => {
    // vLLM and others stamp every chunk with its own created; a fingerprint may change on the last chunk.
    const head = (created: number, model: string, fp: string, tier: string) => ({ id: `chatcmpl-${created}`, object: 'chat.completion.chunk', created, model, system_fingerprint: fp, service_tier: tier });
    const stream = sseData(
      { ...head(1700000001, 'm-1', 'fp_a', 'default'), choices: [delta({ role: 'assistant', content: 'Hi' })], usage: null },
      { ...head(1700000002, 'm-2', 'fp_b', 'default'), choices: [delta({}, 0, 'stop')], usage: null },
      { ...head(1700000003, 'm-3', 'fp_c', 'flex'), choices: [], usage: USAGE },
      '[DONE]',
    );
    for (const clientWantsUsage of [false, true]) {
      const tap = new ChatStreamTap({ clientWantsUsage });
      expect(run(tap, stream)).toEqual(['forward', 'forward', clientWantsUsage ? 'forward' : 'drop', 'done']);
      expect(tap.usage).toEqual(USAGE);
      expect(tap.assemble()).toMatchObject({ id: 'chatcmpl-1700000001', created: 1700000001, model: 'm-1', system_fingerprint: 'fp_c', service_tier: 'flex', usage: USAGE });
    }
  });

  it('joins logprobs across chunks', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    const lp = (token: string) => ({ content: [{ token, logprob: -0.1, bytes: null, top_logprobs: [] }], refusal: null });
    run(tap, sseData(chunk([{ ...delta({ content: 'a' }), logprobs: lp('a') }]), chunk([{ ...delta({ content: 'b' }, 0, 'stop'), logprobs: lp('b') }]), '[DONE]'));
    const c = tap.assemble() as { choices: Array<{ logprobs: { content: Array<{ token: string }> } }> };
    expect(c.choices[0]!.logprobs.content.map((t) => t.token)).toEqual(['a', 'b']);
  });
});

describe('ChatStreamTap on long answers', () => {
  it('builds the delivered text of 200,000 chunks', () => {
    const tap = new ChatStreamTap({ clientWantsUsage: false });
    const ev = { data: JSON.stringify(chunk([delta({ content: 'x' })])), raw: Buffer.alloc(0) };
    for (let i = 0; i < 200_000; i++) tap.observe(ev);
    expect(tap.deliveredText.length).toBe(200_000);
    expect(tap.chunks).toBe(200_000);
  });
});

describe('ChatStreamTap against the openai client', () => {
  let close: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await close?.();
    close = undefined;
  });

  for (const [name, stream] of [
    ['tool calls', TOOL_STREAM],
    ['n = 2', N2_STREAM],
    ['text with usage', WITH_USAGE],
  ] as const) {
    it(`assembles the same completion as the client's stream helper (${name})`, async () => {
      const server = await serveStream(Buffer.from(stream));
      close = server.close;
      const client = new OpenAI({ baseURL: server.baseURL, apiKey: 'k', maxRetries: 0 });
      const fromClient = await client.chat.completions.stream({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }).finalChatCompletion();
      const tap = new ChatStreamTap({ clientWantsUsage: true });
      run(tap, stream);
      expect(tap.assemble()).toEqual(withoutParsed(fromClient));
    });
  }
});

/** The client's helper adds `parsed` fields of its own; the wire shape has none. */
function withoutParsed(c: object): unknown {
  return JSON.parse(JSON.stringify(c, (k, v) => (k === 'parsed' || k === 'parsed_arguments' ? undefined : v)));
}

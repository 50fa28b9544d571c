import { Tiktoken } from 'js-tiktoken/lite';
import type { ChatCompletionCreateParamsNonStreaming } from 'openai/resources/chat/completions';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { describe, expect, it } from 'vitest';
import { randomText, seededRandom } from './test-fixtures.js';
import { DEFAULT_IMAGE_TOKENS, textUpperBound, TokenCounter, type ChatPromptLike } from './token-counter.js';
import type { ExactTokenizer } from './tokenizer-thread.js';

const GPT_4O = { model: 'gpt-4o' };
const GPT_4 = { model: 'gpt-4' };

/** The example of OpenAI's cookbook ("How to count tokens with tiktoken", section 6), whose API counts were 124 (gpt-4o) and 129 (gpt-4). */
const COOKBOOK_CHAT = [
  { role: 'system', content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.' },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  { role: 'system', name: 'example_user', content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage." },
  { role: 'system', name: 'example_assistant', content: "Let's talk later when we're less busy about how to do better." },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
];

/** The cookbook's tool example (section 7), whose API counts were 101 (gpt-4o) and 105 (gpt-4). */
const COOKBOOK_TOOLS: ChatPromptLike = {
  messages: [
    { role: 'system', content: 'You are a helpful assistant that can answer to questions about the weather.' },
    { role: 'user', content: "What's the weather like in San Francisco?" },
  ],
  tools: [{
    type: 'function',
    function: {
      name: 'get_current_weather',
      description: 'Get the current weather in a given location',
      parameters: {
        type: 'object',
        properties: {
          location: { type: 'string', description: 'The city and state, e.g. San Francisco, CA' },
          unit: { type: 'string', description: 'The unit of temperature to return', enum: ['celsius', 'fahrenheit'] },
        },
        required: ['location'],
      },
    },
  }],
};

describe('TokenCounter.countChat: the chat overhead rule', () => {
  it("matches the API's counts on the cookbook's example: 124 for gpt-4o, 129 for gpt-4", async () => {
    const counter = new TokenCounter();
    expect(await counter.countChat({ messages: COOKBOOK_CHAT }, GPT_4O)).toEqual({ tokens: 124, exact: true });
    expect(await counter.countChat({ messages: COOKBOOK_CHAT }, GPT_4)).toEqual({ tokens: 129, exact: true });
  });

  it('one message: 3 per message + role + content + 3 to prime the reply', async () => {
    // "user" and "Hello" are one token each in both encodings: 3 + 1 + 1 + 3 = 8.
    const counter = new TokenCounter();
    for (const target of [GPT_4O, GPT_4]) expect(await counter.countChat({ messages: [{ role: 'user', content: 'Hello' }] }, target)).toEqual({ tokens: 8, exact: true });
  });

  it('a name costs its tokens plus 1', async () => {
    // system "Hello, world!" (4 tokens): 3 + 1 + 4 = 8
    // user named "ada_lovelace" (4 tokens) "What is 2 + 2?" (8): 3 + 1 + 8 + 4 + 1 = 17
    // assistant "Hi there! How can I help?" (8): 3 + 1 + 8 = 12; reply 3. Total 40 in both encodings.
    const messages = [
      { role: 'system', content: 'Hello, world!' },
      { role: 'user', name: 'ada_lovelace', content: 'What is 2 + 2?' },
      { role: 'assistant', content: 'Hi there! How can I help?' },
    ];
    const counter = new TokenCounter();
    expect(await counter.countChat({ messages }, GPT_4O)).toEqual({ tokens: 40, exact: true });
    expect(await counter.countChat({ messages }, GPT_4)).toEqual({ tokens: 40, exact: true });
  });

  it("takes the openai package's request params as they are", async () => {
    const params: ChatCompletionCreateParamsNonStreaming = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 5 };
    expect(await new TokenCounter().countChat(params, { model: params.model })).toEqual({ tokens: 8, exact: true });
  });

  it('a single text part counts like plain content', async () => {
    const counter = new TokenCounter();
    const parts = await counter.countChat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] }, GPT_4O);
    expect(parts).toEqual({ tokens: 8, exact: true });
  });

  it('tool calls in the history are estimated: name + arguments + 10 per call, the tool result with its call id', async () => {
    // assistant: 3 + "assistant" 1 + ("get_weather" 2 + '{"city":"Paris"}' 5 + 10) = 21
    // tool: 3 + "tool" 1 + "call_1" 3 + "Sunny, 21 C" (5 in o200k_base, 6 in cl100k_base) = 12 / 13; reply 3
    const messages = [
      { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
      { role: 'tool', tool_call_id: 'call_1', content: 'Sunny, 21 C' },
    ];
    const counter = new TokenCounter();
    const bound = 'tool calls and tool results in the history estimated';
    expect(await counter.countChat({ messages }, GPT_4O)).toEqual({ tokens: 36, exact: false, bound });
    expect(await counter.countChat({ messages }, GPT_4)).toEqual({ tokens: 37, exact: false, bound });
  });

  it("tool definitions: the cookbook's rule gives the API's 101 (gpt-4o) and 105 (gpt-4), flagged as an estimate", async () => {
    const counter = new TokenCounter();
    const bound = 'tool definitions estimated (OpenAI does not publish how it renders them)';
    expect(await counter.countChat(COOKBOOK_TOOLS, GPT_4O)).toEqual({ tokens: 101, exact: false, bound });
    expect(await counter.countChat(COOKBOOK_TOOLS, GPT_4)).toEqual({ tokens: 105, exact: false, bound });
  });

  it('image parts are charged the configured bound and the result says so', async () => {
    const counter = new TokenCounter({ imageTokens: 1000 });
    const image = { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' } };
    const result = await counter.countChat({ messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }, image, image] }] }, GPT_4O);
    expect(result).toEqual({ tokens: 3 + 1 + 1 + 2000 + 3, exact: false, bound: '2 image part(s) at 1000 tokens each (configured)' });
    expect(new TokenCounter().upperBound({ messages: [{ role: 'user', content: [image] }] }).tokens).toBeGreaterThanOrEqual(DEFAULT_IMAGE_TOKENS);
  });

  it('audio and file parts are counted by their JSON size and flagged', async () => {
    const part = { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } };
    const result = await new TokenCounter().countChat({ messages: [{ role: 'user', content: [part] }] }, GPT_4O);
    expect(result).toEqual({ tokens: 3 + 1 + Buffer.byteLength(JSON.stringify(part)) + 3, exact: false, bound: 'audio, file and other non-text parts counted by their JSON size' });
  });

  it('a json_schema response format adds its schema and is flagged', async () => {
    const counter = new TokenCounter();
    const plain = await counter.countChat({ messages: [{ role: 'user', content: 'Hello' }] }, GPT_4O);
    const schema = await counter.countChat({
      messages: [{ role: 'user', content: 'Hello' }],
      response_format: { type: 'json_schema', json_schema: { name: 'answer', schema: { type: 'object', properties: { text: { type: 'string' } } } } },
    }, GPT_4O);
    expect(schema.tokens).toBeGreaterThan(plain.tokens + 10);
    expect(schema.exact).toBe(false);
  });
});

describe('TokenCounter: models without a public tokenizer', () => {
  it('unknown and non-OpenAI models get the upper bound, flagged not exact and named', async () => {
    const counter = new TokenCounter();
    const request = { messages: COOKBOOK_CHAT };
    for (const model of ['claude-sonnet-4', 'llama-3.1-70b', 'gpt-oss-120b']) {
      const result = await counter.countChat(request, { model });
      expect(result.exact).toBe(false);
      expect(result.tokens).toBe(counter.upperBound(request).tokens);
      expect(result.bound).toContain(`no public tokenizer for model "${model}"`);
    }
    expect(await counter.countText('hello', { model: 'mistral-embed' })).toMatchObject({ tokens: 5, exact: false });
  });

  it('a provider can override the name: an Azure deployment counted as gpt-4o, a local "gpt-4o" as unknown', async () => {
    const counter = new TokenCounter();
    expect(await counter.countChat({ messages: COOKBOOK_CHAT }, { model: 'prod-chat', encoding: 'o200k_base' })).toEqual({ tokens: 124, exact: true });
    expect((await counter.countChat({ messages: COOKBOOK_CHAT }, { model: 'gpt-4o', encoding: null })).exact).toBe(false);
  });
});

describe('TokenCounter: memoization by message digest', () => {
  it('gives the same counts from the cache as a fresh counter, for a history growing by one message per request', async () => {
    const cached = new TokenCounter();
    const random = seededRandom(7);
    const history: Array<{ role: string; content: string; name?: string }> = [];
    for (let i = 0; i < 40; i++) {
      history.push({ role: i % 2 ? 'assistant' : 'user', content: randomText(random, 60), ...(i % 5 === 0 ? { name: `agent_${i}` } : {}) });
      const fromCache = await cached.countChat({ messages: history }, GPT_4O);
      expect(fromCache).toEqual(await new TokenCounter().countChat({ messages: history }, GPT_4O));
      expect(cached.cacheSize).toBe(i + 1); // only the new message was added
    }
  });

  it('never holds more than its capacity', async () => {
    const counter = new TokenCounter({ cacheEntries: 50 });
    for (let i = 0; i < 500; i++) await counter.countChat({ messages: [{ role: 'user', content: `message ${i}` }] }, GPT_4O);
    expect(counter.cacheSize).toBe(50);
  });

  it('keeps apart encodings, scopes, names and field boundaries', async () => {
    const counter = new TokenCounter();
    const message = { role: 'user', content: 'Hello' };
    await counter.countChat({ messages: [message] }, GPT_4O);
    await counter.countChat({ messages: [message] }, GPT_4);
    await counter.countChat({ messages: [message] }, GPT_4O, { scope: 'agent-b' });
    expect(counter.cacheSize).toBe(3);
    // Same characters, split differently between fields: different counts, so different entries.
    const a = await counter.countChat({ messages: [{ role: 'user', name: 'x', content: 'y' }] }, GPT_4O);
    const b = await counter.countChat({ messages: [{ role: 'user', content: 'xy' }] }, GPT_4O);
    expect(a.tokens).not.toBe(b.tokens);
  });

  it('does not remember a count cut short by the per-count exact-text limit', async () => {
    const counter = new TokenCounter({ maxExactBytes: 100 });
    const long = 'word '.repeat(100);
    const result = await counter.countChat({ messages: [{ role: 'user', content: long }] }, GPT_4O);
    expect(result).toEqual({ tokens: 3 + 1 + long.length + 3, exact: false, bound: 'new text beyond 100 bytes per count counted by its UTF-8 length' });
    expect(counter.cacheSize).toBe(0);
  });

  it('the limit counts UTF-8 bytes of new text only: cached messages are free, a growing history becomes exact part by part', async () => {
    const counter = new TokenCounter({ maxExactBytes: 200 });
    const zh = (n: number) => '中文'.repeat(n); // 6 bytes per repeat
    const first = { role: 'user', content: zh(20) }; // 120 bytes
    const second = { role: 'assistant', content: zh(20) }; // 120 bytes: over the limit in the same count
    const both = await counter.countChat({ messages: [first, second] }, GPT_4O);
    expect(both.exact).toBe(false);
    expect(counter.cacheSize).toBe(1); // the first message, counted exactly, is remembered
    const again = await counter.countChat({ messages: [first, second] }, GPT_4O);
    expect(again).toEqual({ tokens: (await new TokenCounter().countChat({ messages: [first, second] }, GPT_4O)).tokens, exact: true });
  });
});

describe('TokenCounter: upper bounds', () => {
  const reference = new Tiktoken(o200k);

  it('textUpperBound is the UTF-8 length and never below js-tiktoken on generated texts', () => {
    const random = seededRandom(11);
    for (let i = 0; i < 300; i++) {
      const text = randomText(random, 50);
      const bound = textUpperBound(text);
      expect(bound.exact).toBe(false);
      expect(bound.tokens, JSON.stringify(text)).toBeGreaterThanOrEqual(reference.encode(text, [], []).length);
    }
  });

  it('upperBound is never below countChat, for either encoding, on 300 generated requests (names, parts, images, tool calls, tools)', async () => {
    const counter = new TokenCounter({ imageTokens: 500 });
    const random = seededRandom(3);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    for (let i = 0; i < 300; i++) {
      const messages: object[] = [];
      const n = 1 + Math.floor(random() * 6);
      for (let m = 0; m < n; m++) {
        const role = pick(['system', 'user', 'assistant', 'tool', 'developer']);
        const message: Record<string, unknown> = { role, content: randomText(random, 30) };
        if (random() < 0.2) message.name = randomText(random, 3);
        if (random() < 0.2) message.content = [{ type: 'text', text: randomText(random, 20) }, ...(random() < 0.5 ? [{ type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] : [])];
        if (random() < 0.15) message.tool_calls = [{ id: 'call_x', type: 'function', function: { name: randomText(random, 2), arguments: randomText(random, 10) } }];
        if (random() < 0.1) message.tool_call_id = randomText(random, 2);
        messages.push(message);
      }
      const request: ChatPromptLike = { messages };
      if (random() < 0.3) {
        request.tools = [{
          type: 'function',
          function: {
            name: randomText(random, 2),
            description: randomText(random, 8),
            parameters: { type: 'object', properties: { a: { type: 'string', description: randomText(random, 5), enum: [randomText(random, 2), 'x'] }, b: { type: 'array', items: { type: 'number' } } } },
          },
        }];
      }
      const bound = counter.upperBound(request).tokens;
      for (const target of [GPT_4O, GPT_4]) {
        const count = await counter.countChat(request, target);
        expect(bound, JSON.stringify(request)).toBeGreaterThanOrEqual(count.tokens);
      }
    }
  });
});

describe('TokenCounter and the tokenizer thread', () => {
  /** Counts characters and records every batch it was asked for. */
  function recordingTokenizer(onCount?: () => void) {
    const batches: string[][] = [];
    const tokenizer: ExactTokenizer = {
      load: async () => undefined,
      count: async (_encoding, texts) => {
        batches.push([...texts]);
        onCount?.();
        return texts.map((t) => ({ tokens: t.length, flags: 0 }));
      },
    };
    return { tokenizer, batches };
  }

  it('sends the new texts of a prompt in one batch, and a prompt whose messages are all remembered not at all', async () => {
    const { tokenizer, batches } = recordingTokenizer();
    const counter = new TokenCounter({ tokenizer });
    const history = [{ role: 'user', content: 'one' }, { role: 'assistant', content: 'two' }];
    await counter.countChat({ messages: history }, GPT_4O);
    expect(batches).toEqual([['user', 'one', 'assistant', 'two']]);
    await counter.countChat({ messages: history }, GPT_4O);
    expect(batches).toHaveLength(1);
    await counter.countChat({ messages: [...history, { role: 'user', content: 'three' }] }, GPT_4O);
    expect(batches).toEqual([['user', 'one', 'assistant', 'two'], ['user', 'three']]);
  });

  it('counts a message repeated in one prompt once, as if its first copy had been remembered', async () => {
    const big = 'All work and no play makes Jack a dull boy. '.repeat(2000); // 88 KB: twice is over maxExactBytes
    const once = new TokenCounter();
    await once.countChat({ messages: [{ role: 'user', content: big }] }, GPT_4O);
    const remembered = await once.countChat({ messages: [{ role: 'user', content: big }, { role: 'user', content: big }] }, GPT_4O);
    const fresh = await new TokenCounter().countChat({ messages: [{ role: 'user', content: big }, { role: 'user', content: big }] }, GPT_4O);
    expect(remembered.exact).toBe(true);
    expect(fresh).toEqual(remembered);
    const { tokenizer, batches } = recordingTokenizer();
    await new TokenCounter({ tokenizer }).countChat({ messages: [{ role: 'user', content: 'a' }, { role: 'user', content: 'a' }] }, GPT_4O);
    expect(batches).toEqual([['user', 'a']]);
  });

  it('spends maxExactBytes in prompt order, messages first, then tool definitions', async () => {
    const { tokenizer, batches } = recordingTokenizer();
    const counter = new TokenCounter({ tokenizer, maxExactBytes: 12 });
    const r = await counter.countChat(
      { messages: [{ role: 'user', content: 'abcdef' }, { role: 'user', content: 'ghijkl' }], tools: [{ type: 'function', function: { name: 'f', description: 'd' } }] },
      GPT_4O,
    );
    // 'user' + 'abcdef' fit (10 bytes), then nothing but the 1-byte tool texts does.
    expect(batches[0]!.slice(0, 2)).toEqual(['user', 'abcdef']);
    expect(batches[0]).not.toContain('ghijkl');
    expect(r.exact).toBe(false);
    expect(r.bound).toMatch(/beyond 12 bytes/);
  });

  it('fails a count whose prompt changed while it was being tokenized, rather than mixing two prompts', async () => {
    const messages = [{ role: 'user', content: 'before' }];
    const { tokenizer } = recordingTokenizer(() => {
      messages[0]!.content = 'after';
    });
    await expect(new TokenCounter({ tokenizer }).countChat({ messages }, GPT_4O)).rejects.toThrow('prompt changed while its tokens were counted');
  });

  it('fails a count when the tokenizer thread fails, and remembers nothing of it', async () => {
    let fail = true;
    const tokenizer: ExactTokenizer = {
      load: async () => undefined,
      count: async (_e, texts) => {
        if (fail) throw new Error('tokenizer thread exited (code 1)');
        return texts.map((t) => ({ tokens: t.length, flags: 0 }));
      },
    };
    const counter = new TokenCounter({ tokenizer });
    const prompt = { messages: [{ role: 'user', content: 'hello' }] };
    await expect(counter.countChat(prompt, GPT_4O)).rejects.toThrow('exited');
    expect(counter.cacheSize).toBe(0);
    fail = false;
    expect((await counter.countChat(prompt, GPT_4O)).tokens).toBe(3 + 3 + 4 + 5);
  });
});

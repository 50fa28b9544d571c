import { describe, expect, it } from 'vitest';
import { cacheKey, MAX_KEYED_DEPTH, type CacheEndpoint, type CacheKeyInput, type CacheScope } from './cache-key.js';

const scope: CacheScope = { owner: 'tenant-a', clearance: 'internal', label: 'agent-1' };

const chatBody = {
  model: 'fast',
  messages: [
    { role: 'system', content: 'You are terse.' },
    { role: 'user', content: [{ type: 'text', text: 'Capital of France?' }] },
  ],
  temperature: 0,
};

function key(body: Record<string, unknown>, over: Partial<CacheKeyInput> = {}): string {
  const k = cacheKey({ endpoint: 'chat', model: 'fast', body, scope, ...over });
  if (k === undefined) throw new Error('expected a key');
  return k;
}

describe('cacheKey', () => {
  it('is a SHA-256 hex digest', () => {
    expect(key(chatBody)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('gives equal bodies the same key whatever the order of their keys, at every depth', () => {
    const reordered = {
      temperature: 0,
      messages: [
        { content: 'You are terse.', role: 'system' },
        { content: [{ text: 'Capital of France?', type: 'text' }], role: 'user' },
      ],
      model: 'fast',
    };
    expect(key(reordered)).toBe(key(chatBody));
  });

  const notKeyed: Record<CacheEndpoint, Record<string, unknown>> = {
    chat: {
      stream: true,
      stream_options: { include_usage: true, include_obfuscation: false },
      service_tier: 'flex',
      user: 'end-user-7',
      safety_identifier: 'hash-7',
      metadata: { trace: 'abc' },
      prompt_cache_key: 'pck',
      prompt_cache_options: { mode: 'explicit' },
      prompt_cache_retention: '24h',
      model: 'provider-model-name',
    },
    responses: { stream: true, stream_options: { include_obfuscation: false }, service_tier: 'priority', model: 'other' },
    embeddings: { user: 'end-user-7', model: 'other' },
  };
  const bases: Record<CacheEndpoint, Record<string, unknown>> = {
    chat: chatBody,
    responses: { model: 'fast', input: 'Capital of France?', instructions: 'Be terse.' },
    embeddings: { model: 'fast', input: ['a', 'b'] },
  };

  for (const endpoint of ['chat', 'responses', 'embeddings'] as const) {
    for (const [field, value] of Object.entries(notKeyed[endpoint])) {
      it(`${endpoint}: ${field} does not change the key`, () => {
        const base = bases[endpoint];
        expect(key({ ...base, [field]: value }, { endpoint })).toBe(key(base, { endpoint }));
      });
    }
  }

  const keyed: Record<CacheEndpoint, Record<string, [unknown, unknown]>> = {
    chat: {
      messages: [[{ role: 'user', content: 'a' }], [{ role: 'user', content: 'b' }]],
      tools: [[{ type: 'function', function: { name: 'f' } }], [{ type: 'function', function: { name: 'g' } }]],
      tool_choice: ['auto', 'required'],
      temperature: [0, 0.7],
      top_p: [1, 0.5],
      seed: [1, 2],
      n: [1, 2],
      max_tokens: [10, 20],
      max_completion_tokens: [10, 20],
      response_format: [{ type: 'text' }, { type: 'json_object' }],
      parallel_tool_calls: [true, false],
      store: [false, true],
      stop: ['\n', 'END'],
      logit_bias: [{ '50256': -100 }, { '50256': 100 }],
      frequency_penalty: [0, 1],
      presence_penalty: [0, 1],
      logprobs: [false, true],
      top_logprobs: [1, 5],
      reasoning_effort: ['low', 'high'],
      modalities: [['text'], ['text', 'audio']],
      audio: [{ voice: 'alloy', format: 'mp3' }, { voice: 'ash', format: 'mp3' }],
      prediction: [{ type: 'content', content: 'x' }, { type: 'content', content: 'y' }],
      verbosity: ['low', 'high'],
      moderation: [{ model: 'omni-moderation-latest' }, { model: 'other' }],
      functions: [[{ name: 'f' }], [{ name: 'g' }]],
      some_future_field: [1, 2],
    },
    responses: {
      input: ['a', 'b'],
      instructions: ['a', 'b'],
      tools: [[{ type: 'function', name: 'f' }], [{ type: 'function', name: 'g' }]],
      text: [{ format: { type: 'text' } }, { format: { type: 'json_object' } }],
      reasoning: [{ effort: 'low' }, { effort: 'high' }],
      include: [[], ['reasoning.encrypted_content']],
      max_output_tokens: [10, 20],
      truncation: ['auto', 'disabled'],
      parallel_tool_calls: [true, false],
      store: [false, true],
      // Echoed in the Response object, so kept (see NOT_KEYED).
      metadata: [{ t: '1' }, { t: '2' }],
      user: ['u1', 'u2'],
      safety_identifier: ['s1', 's2'],
      prompt_cache_key: ['k1', 'k2'],
    },
    embeddings: {
      input: ['a', 'b'],
      dimensions: [256, 512],
      encoding_format: ['float', 'base64'],
    },
  };

  for (const endpoint of ['chat', 'responses', 'embeddings'] as const) {
    for (const [field, [a, b]] of Object.entries(keyed[endpoint])) {
      it(`${endpoint}: ${field} changes the key`, () => {
        const base = bases[endpoint];
        const withA = key({ ...base, [field]: a }, { endpoint });
        const withB = key({ ...base, [field]: b }, { endpoint });
        expect(withA).not.toBe(withB);
        if (!(field in base)) expect(withA).not.toBe(key(base, { endpoint }));
      });
    }
  }

  it('keys the endpoint and the model the agent named', () => {
    const base = key(chatBody);
    expect(key(chatBody, { endpoint: 'responses' })).not.toBe(base);
    expect(key(chatBody, { model: 'smart' })).not.toBe(base);
  });

  it("keys the output limit the gateway enforced: a budget's clamp never shares an answer with an unclamped request", () => {
    const base = key(chatBody, { outputLimit: 4096 });
    expect(key(chatBody, { outputLimit: 61 })).not.toBe(base);
    expect(key(chatBody, { outputLimit: 4096 })).toBe(base);
    expect(key(chatBody)).not.toBe(base);
  });

  it('never gives two scopes the same key, even with equal bodies', () => {
    const keys = new Set([
      key(chatBody),
      key(chatBody, { scope: { ...scope, owner: 'tenant-b' } }),
      key(chatBody, { scope: { ...scope, clearance: 'public' } }),
      key(chatBody, { scope: { ...scope, label: 'agent-2' } }),
    ]);
    expect(keys.size).toBe(4);
  });

  it('cannot be made ambiguous by moving characters between scope fields or into the model', () => {
    const variants: Array<Partial<CacheKeyInput>> = [
      // Each pair below would collide if the fields were joined with a separator or none.
      { scope: { owner: 'a|b', clearance: 'c', label: 'd' } },
      { scope: { owner: 'a', clearance: 'b|c', label: 'd' } },
      { scope: { owner: 'x', clearance: 'y|z', label: '' } },
      { scope: { owner: 'x', clearance: 'y', label: 'z|' } },
      { scope: { owner: 'p|q', clearance: 'r', label: 's' }, model: 'm' },
      { scope: { owner: 'q', clearance: 'r', label: 's' }, model: 'm|p' },
      { scope: { owner: 'ab', clearance: 'c', label: 'd' } },
      { scope: { owner: 'a', clearance: 'bc', label: 'd' } },
      { scope: { owner: 'ab', clearance: '', label: '' } },
      { scope: { owner: 'a', clearance: 'b', label: '' } },
      { scope: { owner: '', clearance: 'a', label: 'b' } },
      { scope: { owner: 'a","b', clearance: '', label: '' } },
      { scope: { owner: 'a', clearance: 'b', label: '' }, model: '' },
      { scope: { owner: 'a', clearance: '', label: '' }, model: 'b' },
    ];
    const keys = new Set(variants.map((v) => key(chatBody, v)));
    expect(keys.size).toBe(variants.length);
  });

  it('keys an own "__proto__" field of a parsed body like any other field', () => {
    const plain = JSON.parse('{"model":"fast","messages":[]}') as Record<string, unknown>;
    const a = JSON.parse('{"model":"fast","messages":[],"__proto__":{"x":1}}') as Record<string, unknown>;
    const b = JSON.parse('{"model":"fast","messages":[],"__proto__":{"x":2}}') as Record<string, unknown>;
    expect(new Set([key(plain), key(a), key(b)]).size).toBe(3);
  });

  it('keys bodies nested up to MAX_KEYED_DEPTH exactly: a difference at that depth changes the key', () => {
    // The object holding `leaf` sits `depth` levels below the body.
    const deepBody = (depth: number, leaf: string): Record<string, unknown> => {
      let v: unknown = { leaf };
      for (let i = 1; i < depth; i++) v = [v];
      return { ...chatBody, x: v };
    };
    const one = key(deepBody(MAX_KEYED_DEPTH, 'one'));
    expect(key(deepBody(MAX_KEYED_DEPTH, 'two'))).not.toBe(one);
    expect(cacheKey({ endpoint: 'chat', model: 'fast', body: deepBody(MAX_KEYED_DEPTH + 1, 'one'), scope })).toBeUndefined();
  });

  it('gives no key to a tool schema nested past MAX_KEYED_DEPTH, where canonical JSON would cut the difference off', () => {
    const withSchema = (levels: number): Record<string, unknown> => {
      let schema: Record<string, unknown> = { type: 'string' };
      for (let i = 0; i < levels; i++) schema = { type: 'object', properties: { p: schema } };
      return { ...chatBody, tools: [{ type: 'function', function: { name: 'f', parameters: schema } }] };
    };
    expect(cacheKey({ endpoint: 'chat', model: 'fast', body: withSchema(20), scope })).toBeUndefined();
    expect(key(withSchema(5))).toMatch(/^[0-9a-f]{64}$/);
  });

  it('leaves the body unchanged', () => {
    const body = { ...chatBody, stream: true, user: 'u' };
    const before = JSON.stringify(body);
    key(body);
    expect(JSON.stringify(body)).toBe(before);
  });
});

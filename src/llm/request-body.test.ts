import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { scanJson } from '../util/json-scan.js';
import { OUTPUT_TOKENS_CEILING, parseLlmRequest, type LlmEndpoint } from './request-body.js';

const OPTS = { defaultModel: undefined, maxChoices: 4 };
const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] };
const RESPONSES = { model: 'gpt-4o', input: 'hi' };
const EMBEDDINGS = { model: 'text-embedding-3-small', input: 'hi' };

/** The INVALID_PARAMS error a body earns, as `param: message`, or 'ok'. */
function refusal(endpoint: LlmEndpoint, body: unknown, opts: { defaultModel: string | undefined; maxChoices: number } = OPTS): string {
  try {
    parseLlmRequest(endpoint, body, opts);
    return 'ok';
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    expect(err.code).toBe('INVALID_PARAMS');
    return `${String(err.details?.param ?? null)}: ${err.message}`;
  }
}

describe('parseLlmRequest: the three endpoints', () => {
  it('reads a chat request with its defaults (not streamed, one choice, no output limit)', () => {
    const r = parseLlmRequest('chat', CHAT, OPTS);
    expect(r).toEqual({ endpoint: 'chat', body: CHAT, model: 'gpt-4o', stream: false, n: 1, maxOutputTokens: null, clientWantsUsage: false, dropped: [] });
    // Nothing to drop: the body is the client's own object, not a copy.
    expect(r.body).toBe(CHAT);
  });

  it('reads a Responses request and an embeddings request', () => {
    expect(parseLlmRequest('responses', { ...RESPONSES, max_output_tokens: 50, stream: true }, OPTS)).toMatchObject({
      endpoint: 'responses',
      model: 'gpt-4o',
      stream: true,
      n: 1,
      maxOutputTokens: 50,
    });
    expect(parseLlmRequest('embeddings', EMBEDDINGS, OPTS)).toMatchObject({ endpoint: 'embeddings', model: 'text-embedding-3-small', stream: false, n: 1, maxOutputTokens: null });
  });

  it('refuses a body that is not a JSON object, naming no param', () => {
    for (const body of [null, 'text', 42, [CHAT]]) expect(refusal('chat', body)).toBe('null: The request body must be a JSON object');
  });
});

describe('parseLlmRequest: model', () => {
  it("uses the agent's default model when the body names none, and refuses an explicit null as OpenAI does", () => {
    const opts = { defaultModel: 'fast', maxChoices: 4 };
    expect(parseLlmRequest('chat', { messages: CHAT.messages }, opts).model).toBe('fast');
    expect(parseLlmRequest('chat', CHAT, opts).model).toBe('gpt-4o');
    expect(() => parseLlmRequest('chat', { model: null, messages: CHAT.messages }, opts)).toThrow('model must be a non-empty string');
  });

  it('requires a model when the agent has no default', () => {
    expect(refusal('chat', { messages: CHAT.messages })).toBe('model: model is required (this agent has no default model)');
  });

  it('refuses a model that is not a string of 1-200 characters', () => {
    for (const model of [42, '', 'm'.repeat(201), ['gpt-4o'], { name: 'gpt-4o' }, true]) {
      expect(refusal('chat', { ...CHAT, model })).toMatch(/^model: model must be a non-empty string of at most 200 characters$/);
    }
    expect(refusal('chat', { ...CHAT, model: 'm'.repeat(200) })).toBe('ok');
  });
});

describe('parseLlmRequest: n', () => {
  it('accepts 1 to maxChoices on chat', () => {
    expect(parseLlmRequest('chat', { ...CHAT, n: 4 }, OPTS).n).toBe(4);
    expect(parseLlmRequest('chat', { ...CHAT, n: null }, OPTS).n).toBe(1);
    expect(refusal('chat', { ...CHAT, n: 5 })).toBe('n: n must be at most 4');
  });

  it('refuses an n that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, '2', Number.MAX_SAFE_INTEGER + 1, true]) expect(refusal('chat', { ...CHAT, n })).toBe('n: n must be a positive integer');
  });

  it('reads n on chat only: elsewhere one answer is made whatever the body says', () => {
    expect(parseLlmRequest('responses', { ...RESPONSES, n: 50 }, OPTS).n).toBe(1);
    expect(parseLlmRequest('embeddings', { ...EMBEDDINGS, n: 50 }, OPTS).n).toBe(1);
  });
});

describe('parseLlmRequest: output limits', () => {
  it('reads max_tokens and max_completion_tokens on chat; with both, reserves for the larger', () => {
    expect(parseLlmRequest('chat', { ...CHAT, max_tokens: 100 }, OPTS).maxOutputTokens).toBe(100);
    expect(parseLlmRequest('chat', { ...CHAT, max_completion_tokens: 70 }, OPTS).maxOutputTokens).toBe(70);
    expect(parseLlmRequest('chat', { ...CHAT, max_tokens: 100, max_completion_tokens: 300 }, OPTS).maxOutputTokens).toBe(300);
    expect(parseLlmRequest('chat', { ...CHAT, max_tokens: 300, max_completion_tokens: 100 }, OPTS).maxOutputTokens).toBe(300);
    expect(parseLlmRequest('chat', { ...CHAT, max_tokens: null, max_completion_tokens: 100 }, OPTS).maxOutputTokens).toBe(100);
  });

  it('reads max_output_tokens on Responses only, and no chat field there', () => {
    expect(parseLlmRequest('responses', { ...RESPONSES, max_output_tokens: 9 }, OPTS).maxOutputTokens).toBe(9);
    expect(parseLlmRequest('responses', { ...RESPONSES, max_tokens: 9 }, OPTS).maxOutputTokens).toBeNull();
    expect(parseLlmRequest('chat', { ...CHAT, max_output_tokens: 9 }, OPTS).maxOutputTokens).toBeNull();
    expect(parseLlmRequest('embeddings', { ...EMBEDDINGS, max_tokens: 9 }, OPTS).maxOutputTokens).toBeNull();
  });

  it('refuses limits that are not positive integers, naming the field', () => {
    for (const v of [0, -5, 2.5, '100', Number.NaN, Number.MAX_SAFE_INTEGER + 1]) {
      expect(refusal('chat', { ...CHAT, max_tokens: v })).toBe('max_tokens: max_tokens must be a positive integer');
      expect(refusal('chat', { ...CHAT, max_completion_tokens: v })).toBe('max_completion_tokens: max_completion_tokens must be a positive integer');
      expect(refusal('responses', { ...RESPONSES, max_output_tokens: v })).toBe('max_output_tokens: max_output_tokens must be a positive integer');
    }
  });

  it('refuses a limit above the ceiling no model reaches', () => {
    expect(parseLlmRequest('chat', { ...CHAT, max_tokens: OUTPUT_TOKENS_CEILING }, OPTS).maxOutputTokens).toBe(OUTPUT_TOKENS_CEILING);
    expect(refusal('chat', { ...CHAT, max_tokens: OUTPUT_TOKENS_CEILING + 1 })).toBe(`max_tokens: max_tokens must be at most ${OUTPUT_TOKENS_CEILING}`);
    expect(refusal('responses', { ...RESPONSES, max_output_tokens: OUTPUT_TOKENS_CEILING + 1 })).toMatch(/^max_output_tokens: /);
    // A valid small field does not hide an oversized other one.
    expect(refusal('chat', { ...CHAT, max_tokens: 10, max_completion_tokens: OUTPUT_TOKENS_CEILING + 1 })).toMatch(/^max_completion_tokens: /);
  });
});

describe('parseLlmRequest: stream and stream_options', () => {
  it('reads stream as a boolean (null and absent are false)', () => {
    expect(parseLlmRequest('chat', { ...CHAT, stream: true }, OPTS).stream).toBe(true);
    expect(parseLlmRequest('chat', { ...CHAT, stream: null }, OPTS).stream).toBe(false);
    for (const stream of ['true', 1, {}]) expect(refusal('chat', { ...CHAT, stream })).toBe('stream: stream must be a boolean');
  });

  it('refuses a streamed embeddings request, and accepts stream: false there', () => {
    expect(refusal('embeddings', { ...EMBEDDINGS, stream: true })).toBe('stream: embeddings cannot be streamed');
    expect(parseLlmRequest('embeddings', { ...EMBEDDINGS, stream: false }, OPTS).stream).toBe(false);
  });

  it('notes whether the client asked for the usage chunk, and refuses an include_usage that is not a boolean', () => {
    const wants = (stream_options: unknown) => parseLlmRequest('chat', { ...CHAT, stream: true, stream_options }, OPTS).clientWantsUsage;
    expect(wants({ include_usage: true })).toBe(true);
    expect(wants({ include_usage: false })).toBe(false);
    expect(wants({})).toBe(false);
    expect(wants(null)).toBe(false);
    for (const include_usage of ['true', 'yes', 1]) {
      expect(refusal('chat', { ...CHAT, stream: true, stream_options: { include_usage } })).toBe('stream_options: stream_options.include_usage must be a boolean');
    }
  });

  it('refuses stream_options that are not an object', () => {
    for (const stream_options of ['x', 1, true]) expect(refusal('chat', { ...CHAT, stream: true, stream_options })).toBe('stream_options: stream_options must be an object');
  });
});

describe('parseLlmRequest: fields that would redirect the call', () => {
  it('drops them from the forwarded body, names them, and leaves the client object as it was', () => {
    const raw = {
      ...CHAT,
      api_base: 'https://evil.example/v1',
      api_key: 'sk-stolen',
      base_url: 'https://evil.example',
      baseURL: 'https://evil.example',
      extra_headers: { authorization: 'Bearer x' },
      headers: { 'x-a': '1' },
      organization: 'org-other',
      temperature: 0.2,
    };
    const before = structuredClone(raw);
    const r = parseLlmRequest('chat', raw, OPTS);
    expect([...r.dropped].sort()).toEqual(['api_base', 'api_key', 'baseURL', 'base_url', 'extra_headers', 'headers', 'organization']);
    expect(r.body).toEqual({ ...CHAT, temperature: 0.2 });
    expect(raw).toEqual(before);
    expect(r.body).not.toBe(raw);
  });

  it('drops every field some SDK or gateway reads as routing or credentials', () => {
    const fields = ['api_base', 'api_key', 'api_version', 'apiKey', 'base_url', 'baseURL', 'custom_llm_provider', 'extra_body', 'extra_headers', 'extra_query', 'headers', 'organization', 'project'];
    const raw: Record<string, unknown> = { ...EMBEDDINGS };
    for (const f of fields) raw[f] = 'x';
    const r = parseLlmRequest('embeddings', raw, OPTS);
    expect([...r.dropped].sort()).toEqual([...fields].sort());
    expect(r.body).toEqual(EMBEDDINGS);
  });

  it('catches other spellings of them (case, dashes, underscores) and router presets, tags and data sources', () => {
    const fields = ['Base_URL', 'BASEURL', 'base-url', 'Api_Key', 'dataSources', 'preset', 'tags', 'Extra_Headers'];
    const raw: Record<string, unknown> = { ...CHAT };
    for (const f of fields) raw[f] = 'x';
    const r = parseLlmRequest('chat', raw, OPTS);
    expect([...r.dropped].sort()).toEqual([...fields].sort());
    expect(r.body).toEqual(CHAT);
  });

  it('names at most 16 of them, and never normalizes a key too long to be one (the audit record stays small)', () => {
    const raw: Record<string, unknown> = { ...CHAT };
    for (let i = 0; i < 40; i++) raw['base' + '_'.repeat(i + 1) + 'url'] = 'x';
    const long = 'base' + '_'.repeat(200_000) + 'url';
    raw[long] = 'x';
    const r = parseLlmRequest('chat', raw, OPTS);
    expect(r.dropped).toHaveLength(17);
    expect(r.dropped.at(-1)).toBe('(and 24 more)');
    expect(r.body[long]).toBe('x');
    expect(Object.keys(r.body).filter((k) => k.startsWith('base'))).toEqual([long]);
  });

  it('passes every other unknown field through untouched', () => {
    const raw = { ...RESPONSES, store: false, metadata: { a: '1' }, reasoning: { effort: 'low' }, vendor_thing: [1] };
    expect(parseLlmRequest('responses', raw, OPTS).body).toBe(raw);
  });
});

describe('parseLlmRequest: the prompt container', () => {
  it('chat: messages must be a non-empty array of objects; tools an array when present', () => {
    for (const messages of [undefined, [], 'hi', { role: 'user' }]) expect(refusal('chat', { model: 'm', messages })).toBe('messages: messages must be a non-empty array');
    expect(refusal('chat', { model: 'm', messages: [{ role: 'user', content: 'a' }, 'b'] })).toBe('messages: messages[1] must be an object');
    expect(refusal('chat', { ...CHAT, tools: { type: 'function' } })).toBe('tools: tools must be an array');
    expect(refusal('chat', { ...CHAT, tools: null })).toBe('ok');
    expect(refusal('chat', { ...CHAT, tools: [] })).toBe('ok');
  });

  it('responses: input is a string or an array, and may be left out only with previous_response_id or a prompt', () => {
    expect(refusal('responses', { model: 'm', input: [{ role: 'user', content: 'hi' }] })).toBe('ok');
    for (const input of [42, { text: 'hi' }, null]) expect(refusal('responses', { model: 'm', input })).toBe('input: input must be a string or an array');
    expect(refusal('responses', { model: 'm' })).toBe('input: input is required');
    expect(refusal('responses', { model: 'm', previous_response_id: 'resp_1' })).toBe('ok');
    expect(refusal('responses', { model: 'm', prompt: { id: 'pmpt_1' } })).toBe('ok');
  });

  it('responses: refuses background mode, whose output and usage would never pass the gateway', () => {
    for (const background of [true, 1, 'yes']) {
      expect(refusal('responses', { model: 'm', input: 'hi', background })).toBe('background: background responses are not supported: the gateway serves and accounts only for answers it relays');
    }
    for (const background of [false, null, undefined]) expect(refusal('responses', { model: 'm', input: 'hi', background })).toBe('ok');
  });

  it('embeddings: a string, or a non-empty array of strings, token ids or token arrays', () => {
    for (const input of ['hi', ['a', 'b'], [1, 2, 3], [[1, 2], [3]]]) expect(refusal('embeddings', { model: 'm', input })).toBe('ok');
    for (const input of [undefined, null, 42, [], [{ text: 'a' }], ['a', null], { a: 1 }]) {
      expect(refusal('embeddings', { model: 'm', input })).toBe('input: input must be a string, an array of strings or an array of token arrays');
    }
  });
});

describe('parseLlmRequest: the bytes the body came from', () => {
  const receivedOf = (text: string, value: unknown = JSON.parse(text)) => {
    const raw = Buffer.from(text);
    return { value, raw, spans: scanJson(raw, 64).spans };
  };

  it('keeps them, with the body they describe, when they are what the value was parsed from', () => {
    const text = '{"model":"gpt-4o","api_key":"sk-x","messages":[{"role":"user","content":"hi"}]}';
    const received = receivedOf(text);
    const r = parseLlmRequest('chat', received.value, { ...OPTS, received });
    expect(r.received?.raw).toBe(received.raw);
    expect(r.received?.spans).toBe(received.spans);
    // The body without the dropped field: the one the splice must keep in step with.
    expect(r.received?.body).toBe(r.body);
  });

  it('ignores bytes that belong to another value', () => {
    const received = receivedOf(JSON.stringify(CHAT));
    expect(parseLlmRequest('chat', { ...CHAT }, { ...OPTS, received }).received).toBeUndefined();
    expect(parseLlmRequest('chat', CHAT, OPTS).received).toBeUndefined();
  });
});

import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { isObject } from '../util/is-object.js';
import { scanJson } from '../util/json-scan.js';
import type { ModelTarget } from './model-directory.js';
import { parseLlmRequest, withEnforcedLimit, type LlmEndpoint, type LlmRequest } from './request-body.js';
import { randomText, seededRandom } from './tokens/test-fixtures.js';
import { upstreamBody, upstreamBytes } from './upstream-body.js';

const target = (upstreamName: string) => ({ upstreamName }) as ModelTarget;

/** A request parsed from `text` as readJsonBody hands it over, the received bytes included. */
function requestFrom(endpoint: LlmEndpoint, text: string): LlmRequest {
  const raw = Buffer.from(text);
  const scan = scanJson(raw, 64);
  expect(scan.problem).toBeNull();
  // Decoded as readJsonBody does (a byte order mark dropped).
  const value: unknown = JSON.parse(new TextDecoder().decode(raw));
  const req = parseLlmRequest(endpoint, value, { defaultModel: 'default-model', maxChoices: 8, received: { value, raw, spans: scan.spans } });
  expect(req.received).toBeDefined();
  return req;
}

const spliced = (req: LlmRequest, upstreamName: string) => upstreamBytes(req, target(upstreamName)).toString();

describe('upstreamBytes: the received body with the gateway edits spliced in', () => {
  it('forwards the members it does not set byte for byte, number spellings and spacing included', () => {
    const text = '{"model":"gpt-4o", "temperature":1.50,"top_p" : 1e0,"messages":[{"role":"user","content":"h\\u00e9"}]}';
    expect(spliced(requestFrom('chat', text), 'gpt-4o')).toBe(text);
    expect(spliced(requestFrom('chat', `\ufeff \n${text}\n`), 'gpt-4o')).toBe(text);
    expect(spliced(requestFrom('chat', text), 'gpt-4o-2024-08-06')).toBe(text.replace('"model":"gpt-4o", ', '"model":"gpt-4o-2024-08-06",'));
  });

  it('leaves out dropped fields wherever they stand, and adds the model the body did not name', () => {
    const M = '"messages":[{"role":"user","content":"hi"}]';
    expect(spliced(requestFrom('chat', `{"api_key":"k","model":"m",${M}}`), 'm')).toBe(`{"model":"m",${M}}`);
    expect(spliced(requestFrom('chat', `{"model":"m","base_url":"u",${M}}`), 'm')).toBe(`{"model":"m",${M}}`);
    expect(spliced(requestFrom('chat', `{"model":"m",${M},"extra_headers":{"a":"b"}}`), 'm')).toBe(`{"model":"m",${M}}`);
    expect(spliced(requestFrom('chat', `{"api\\u005fkey":"k",${M},"headers":{}}`), 'up')).toBe(`{${M},"model":"up"}`);
    expect(spliced(requestFrom('embeddings', '{"organization":"o","input":"x","project":"p"}'), 'e')).toBe('{"input":"x","model":"e"}');
  });

  it('asks chat streams for the usage chunk, keeping the options the client set', () => {
    const M = '"messages":[{"role":"user","content":"hi"}]';
    const sent = (options: string) => JSON.parse(spliced(requestFrom('chat', `{"model":"m","stream":true,${M}${options}}`), 'm')).stream_options as unknown;
    expect(sent('')).toEqual({ include_usage: true });
    expect(sent(',"stream_options":null')).toEqual({ include_usage: true });
    expect(sent(',"stream_options":{"include_usage":false,"x":[1]}')).toEqual({ include_usage: true, x: [1] });
    const asked = `{"model":"m","stream":true,${M},"stream_options":{ "include_usage" : true }}`;
    expect(spliced(requestFrom('chat', asked), 'm')).toBe(asked);
  });

  it('writes an enforced output limit in the target field and removes the other one', () => {
    const M = '"messages":[{"role":"user","content":"hi"}]';
    const limited = (text: string, upstream: string) => spliced(withEnforcedLimit(requestFrom('chat', text), 50), upstream);
    expect(limited(`{"model":"m",${M},"max_tokens":900,"max_completion_tokens":800}`, 'm')).toBe(`{"model":"m",${M},"max_completion_tokens":50}`);
    expect(limited(`{"max_tokens":50,"model":"m",${M}}`, 'm')).toBe(`{"max_tokens":50,"model":"m",${M}}`);
    expect(limited(`{"model":"m",${M}}`, 'm')).toBe(`{"model":"m",${M},"max_tokens":50}`);
    expect(limited(`{"model":"m",${M}}`, 'o3-mini')).toBe(`{"model":"o3-mini",${M},"max_completion_tokens":50}`);
    expect(spliced(withEnforcedLimit(requestFrom('responses', '{"max_output_tokens":9,"model":"m","input":"x"}'), 7), 'm')).toBe('{"max_output_tokens":7,"model":"m","input":"x"}');
  });

  it("writes an enforced limit at most at the target's own output limit (an alias's reservation assumes its largest)", () => {
    const M = '"messages":[{"role":"user","content":"hi"}]';
    const req = withEnforcedLimit(requestFrom('chat', `{"model":"m",${M}}`), 4096);
    const small = { upstreamName: 'small', maxOutputTokens: 100 } as ModelTarget;
    expect(upstreamBytes(req, small).toString()).toBe(`{"model":"small",${M},"max_tokens":100}`);
    expect(upstreamBytes(req, target('big')).toString()).toBe(`{"model":"big",${M},"max_tokens":4096}`);
  });

  it('serializes the body instead when a step gave the request another body', () => {
    const req = requestFrom('chat', '{"model":"m","messages":[{"role":"user","content":"my key is sk-123"}]}');
    const redacted = { ...req, body: { ...req.body, messages: [{ role: 'user', content: 'my key is [redacted]' }] } };
    expect(JSON.parse(spliced(redacted, 'm'))).toEqual({ model: 'm', messages: [{ role: 'user', content: 'my key is [redacted]' }] });
  });

  it('sends the same JSON as serializing the parsed body, for many bodies', () => {
    const random = seededRandom(2024);
    for (let n = 0; n < 1500; n++) {
      const endpoint = pick(random, ['chat', 'chat', 'responses', 'embeddings'] as const);
      const text = writeJson(randomBody(random, endpoint), random);
      let req = requestFrom(endpoint, text);
      if (endpoint !== 'embeddings' && random() < 0.5) req = withEnforcedLimit(req, 1 + Math.floor(random() * 4000));
      const t = target(pick(random, [req.model, 'gpt-4o', 'o1-mini', 'gpt-5-nano', 'llama-3']));
      const sent = upstreamBytes(req, t);
      expect(isUtf8(sent)).toBe(true);
      // No member written twice: a provider that keeps the first of two would read another body.
      expect(scanJson(sent, 64).problem).toBeNull();
      expect(JSON.parse(sent.toString()), text).toStrictEqual(JSON.parse(upstreamBody(req, t)));
    }
  });
});

function pick<T>(random: () => number, xs: readonly T[]): T {
  return xs[Math.floor(random() * xs.length)]!;
}

/** A body the parser accepts: members in random order, some the gateway edits, some it drops, some nested. */
function randomBody(random: () => number, endpoint: LlmEndpoint): Record<string, unknown> {
  const members: Array<[string, unknown]> = [];
  const maybe = (key: string, values: readonly unknown[]) => {
    if (random() < 0.5) members.push([key, pick(random, values)]);
  };
  maybe('model', ['gpt-4o', 'o1-mini', 'llama-3']);
  const content = () => (random() < 0.8 ? randomText(random, 12) : [{ type: 'text', text: randomText(random, 6) }]);
  if (endpoint === 'chat') {
    const count = 1 + Math.floor(random() * 4);
    members.push(['messages', Array.from({ length: count }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: content() }))]);
    maybe('stream', [true, true, false, null]);
    maybe('stream_options', [null, {}, { include_usage: false }, { include_usage: true }, { include_usage: false, continuous: { a: [1, 'é'] } }]);
    maybe('max_tokens', [1, 300, null]);
    maybe('max_completion_tokens', [2, 4000, null]);
    maybe('n', [1, 2]);
  } else if (endpoint === 'responses') {
    members.push(['input', random() < 0.5 ? randomText(random, 10) : [{ role: 'user', content: content() }]]);
    maybe('stream', [true, false]);
    maybe('max_output_tokens', [5, 700, null]);
  } else {
    members.push(['input', pick(random, [randomText(random, 8), ['a', randomText(random, 4)], [[1, 2], [3]]])]);
  }
  for (const key of ['api_key', 'base_url', 'extra_body', 'headers', 'fallbacks']) maybe(key, ['sk-x', { nested: { deep: [true] } }, [1, 2]]);
  maybe('temperature', [0, 0.25, 1.5]);
  maybe('metadata', [{}, { 'tag é': randomText(random, 3), list: [null, false, 12] }]);
  maybe('user', [randomText(random, 4)]);
  for (let i = members.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [members[i], members[j]] = [members[j]!, members[i]!];
  }
  return Object.fromEntries(members);
}

/** JSON with random spacing between tokens and some characters written as \u escapes (keys too). */
function writeJson(value: unknown, random: () => number): string {
  const space = () => pick(random, ['', '', ' ', '\n', '\t', '\r\n  ']);
  if (Array.isArray(value)) return `[${space()}${value.map((v) => writeJson(v, random)).join(`${space()},${space()}`)}${space()}]`;
  if (isObject(value)) {
    const members = Object.entries(value).map(([k, v]) => `${writeString(k, random)}${space()}:${space()}${writeJson(v, random)}`);
    return `{${space()}${members.join(`${space()},${space()}`)}${space()}}`;
  }
  return typeof value === 'string' ? writeString(value, random) : JSON.stringify(value);
}

function writeString(s: string, random: () => number): string {
  let out = '"';
  for (const ch of s) {
    const lone = ch.length === 1 && ch.charCodeAt(0) >= 0xd800 && ch.charCodeAt(0) <= 0xdfff;
    if (lone || random() < 0.1) {
      for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
    } else out += JSON.stringify(ch).slice(1, -1);
  }
  return `${out}"`;
}

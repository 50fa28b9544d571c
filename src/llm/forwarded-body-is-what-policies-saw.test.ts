/**
 * Attacks on the spliced provider body, from the bytes an agent controls: every body that
 * readJsonBody accepts must reach the provider as exactly the JSON the policies read (the
 * parsed body without its dropped fields), plus the gateway's edits, with no member written
 * twice, no redirecting field and the target's model. Runs the real path: readJsonBody ->
 * parseLlmRequest (with `received`) -> (withEnforcedLimit) -> upstreamBytes.
 */
import { isUtf8 } from 'node:buffer';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { readJsonBody } from '../http/read-body.js';
import { isObject } from '../util/is-object.js';
import { scanJson } from '../util/json-scan.js';
import type { ModelTarget } from './model-directory.js';
import { parseLlmRequest, withEnforcedLimit, type LlmEndpoint, type LlmRequest } from './request-body.js';
import { seededRandom } from './tokens/test-fixtures.js';
import { upstreamBytes } from './upstream-body.js';

const REDIRECTING = [
  'context_window_fallbacks', 'data_sources', 'fallbacks', 'models', 'provider', 'route', 'user_config', 'api_base', 'api_key',
  'api_version', 'apiKey', 'base_url', 'baseURL', 'custom_llm_provider', 'extra_body', 'extra_headers', 'extra_query', 'headers',
  'organization', 'project',
];

const target = (upstreamName: string) => ({ upstreamName }) as ModelTarget;

/** readJsonBody over a fake request delivering `bytes` in `cuts` chunks. */
function read(bytes: Buffer, cuts: number[] = []): Promise<Awaited<ReturnType<typeof readJsonBody>>> {
  const req = Object.assign(new EventEmitter(), {
    headers: { 'content-type': 'application/json', 'content-length': String(bytes.length) },
    pause: () => undefined,
  }) as unknown as IncomingMessage;
  const body = readJsonBody(req, 1 << 22, true);
  let at = 0;
  for (const c of [...cuts, bytes.length]) {
    if (c > at) req.emit('data', Buffer.from(bytes.subarray(at, c)));
    at = Math.max(at, c);
  }
  req.emit('end');
  return body;
}

/** The request the policies see, or the refusal code, for `bytes`. */
async function through(bytes: Buffer | string, endpoint: LlmEndpoint = 'chat', cuts: number[] = []): Promise<LlmRequest | string> {
  const buf = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  try {
    const body = await read(buf, cuts);
    return parseLlmRequest(endpoint, body.value, { defaultModel: 'default-model', maxChoices: 8, received: body });
  } catch (err) {
    if (err instanceof GatewayError) return err.code;
    throw err;
  }
}

/** The JSON the provider must read: what the policies saw plus the gateway's edits (by the rules of upstreamBody). */
function expected(req: LlmRequest, upstream: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(req.body)) Object.defineProperty(out, k, { value: req.body[k], enumerable: true, writable: true, configurable: true });
  const set = (k: string, v: unknown) => Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  set('model', upstream);
  if (req.endpoint === 'chat' && req.stream) {
    const asked = isObject(req.body.stream_options) ? req.body.stream_options : {};
    if (asked.include_usage !== true) set('stream_options', { ...asked, include_usage: true });
  }
  if (req.enforcedOutputLimit !== undefined) {
    const field =
      req.endpoint === 'responses'
        ? 'max_output_tokens'
        : req.body.max_completion_tokens != null
          ? 'max_completion_tokens'
          : req.body.max_tokens != null
            ? 'max_tokens'
            : /^(o\d|gpt-5)/.test(upstream)
              ? 'max_completion_tokens'
              : 'max_tokens';
    set(field, req.enforcedOutputLimit);
    if (field === 'max_completion_tokens') delete out.max_tokens;
    if (field === 'max_tokens') delete out.max_completion_tokens;
  }
  return out;
}

/** Every property the forwarded bytes must have, for one accepted request and target. */
function checkForwarded(req: LlmRequest, upstream: string, context: string): Buffer {
  expect(req.received, context).toBeDefined();
  const sent = upstreamBytes(req, target(upstream));
  expect(isUtf8(sent), context).toBe(true);
  // No key written twice at any depth: a provider keeping the first of two would read another body.
  const scan = scanJson(sent, 1000);
  expect(scan.problem, context).toBeNull();
  const parsed = JSON.parse(sent.toString('utf8')) as Record<string, unknown>;
  expect(parsed, context).toStrictEqual(expected(req, upstream));
  // Top-level keys as the provider decodes them, escapes and all.
  const keys = scan.spans!.members.map((m) => m.key);
  for (const k of REDIRECTING) expect(keys, context).not.toContain(k);
  expect(keys.filter((k) => k === 'model'), context).toHaveLength(1);
  expect(parsed.model, context).toBe(upstream);
  return sent;
}

const MSG = '"messages":[{"role":"user","content":"hi"}]';

describe('forwarded body: repeated keys in disguise are refused before any policy runs', () => {
  it.each([
    ['escaped model', `{"model":"cheap","\\u006dodel":"expensive",${MSG}}`],
    ['escaped first', `{"\\u006dodel":"expensive","model":"cheap",${MSG}}`],
    ['all escaped, upper-case hex', `{"model":"cheap","\\u006D\\u006F\\u0064\\u0065\\u006C":"x",${MSG}}`],
    ['escaped solidus', `{"model":"cheap","mo\\/del":"x","mo/del":"y",${MSG}}`],
    ['surrogate pair vs raw emoji', `{"😀":1,"\\ud83d\\ude00":2,"model":"m",${MSG}}`],
    ['lone surrogate twice', `{"\\ud800":1,"\\uD800":2,"model":"m",${MSG}}`],
    ['__proto__ twice', `{"__proto__":{"a":1},"__proto__":{"b":2},"model":"m",${MSG}}`],
    ['escaped __proto__', `{"__proto__":1,"\\u005f_proto__":2,"model":"m",${MSG}}`],
    ['nested, in a message', `{"model":"m","messages":[{"role":"user","content":"a","\\u0063ontent":"b"}]}`],
    ['nested in stream_options', `{"model":"m","stream":true,"stream_options":{"include_usage":false,"include\\u005fusage":true},${MSG}}`],
    ['very long key', `{"${'k'.repeat(100_000)}":1,"${'k'.repeat(99_999)}\\u006b":2,"model":"m",${MSG}}`],
  ])('%s', async (_, text) => {
    expect(await through(text)).toBe('BAD_REQUEST');
  });
});

describe('forwarded body: bytes JSON.parse would read differently from the scanner are refused', () => {
  it.each([
    ['invalid UTF-8 (Latin-1 é) in a key', Buffer.concat([Buffer.from('{"mod\xe9l'.slice(0, 4)), Buffer.from([0xe9]), Buffer.from(`":1,"model":"m",${MSG}}`)])],
    ['overlong "/" (C0 AF)', Buffer.concat([Buffer.from('{"a'), Buffer.from([0xc0, 0xaf]), Buffer.from(`":1,"model":"m",${MSG}}`)])],
    ['overlong "m" (C1 AD) spelling model', Buffer.concat([Buffer.from('{"'), Buffer.from([0xc1, 0xad]), Buffer.from(`odel":"x","model":"m",${MSG}}`)])],
    ['UTF-8-encoded surrogate (CESU)', Buffer.concat([Buffer.from('{"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(`":1,"model":"m",${MSG}}`)])],
    ['a quote hidden in a truncated sequence', Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xe2, 0x80]), Buffer.from(`","model":"m",${MSG}}`)])],
  ])('%s', async (_, bytes) => {
    expect(await through(bytes)).toBe('PARSE_ERROR');
  });

  it.each([
    ['two byte order marks', `\ufeff\ufeff{"model":"m",${MSG}}`],
    ['BOM after whitespace', ` \ufeff{"model":"m",${MSG}}`],
    ['raw NUL between members', `{"model":"m",\u0000${MSG}}`],
    ['raw NUL in a key', `{"mo\u0000del":"x","model":"m",${MSG}}`],
    ['U+2028 as whitespace', `{"model":"m",\u2028${MSG}}`],
    ['U+00A0 as whitespace', `{"model":"m",\u00a0${MSG}}`],
    ['form feed / vertical tab as whitespace', `{"model":"m",\f\v${MSG}}`],
    ['a second object after the first', `{"model":"m",${MSG}} {"api_key":"k"}`],
    ['a stray close after the object', `{"model":"m",${MSG}}}`],
    ['trailing comma', `{"model":"m",${MSG},}`],
    ['comments', `{"model":"m",/* "api_key":"k", */${MSG}}`],
    ['line comment', `{"model":"m", // x\n${MSG}}`],
    ['single quotes', `{'model':'m',${MSG}}`],
    ['unquoted key', `{model:"m",${MSG}}`],
    ['raw tab in a key', `{"mo\tdel":"x","model":"m",${MSG}}`],
    ['bad escape in a key', `{"\\x":1,"model":"m",${MSG}}`],
    ['NaN / Infinity literals', `{"model":"m","temperature":NaN,${MSG}}`],
    ['leading zero / plus', `{"model":"m","n":+1,${MSG}}`],
  ])('%s', async (_, text) => {
    expect(await through(text)).toBe('PARSE_ERROR');
  });

  it('a top-level array or string is never a request, whatever it contains', async () => {
    expect(await through(`[{"model":"m",${MSG}}]`)).toBe('INVALID_PARAMS');
    expect(await through(JSON.stringify(`{"model":"m",${MSG}}`))).toBe('INVALID_PARAMS');
  });
});

describe('forwarded body: accepted tricky bodies reach the provider as the policies read them', () => {
  const ok = async (text: string | Buffer, upstream = 'up-model', endpoint: LlmEndpoint = 'chat'): Promise<{ req: LlmRequest; sent: string }> => {
    const req = await through(text, endpoint);
    if (typeof req === 'string') throw new Error(`refused: ${req}`);
    const sent = checkForwarded(req, upstream, String(text)).toString('utf8');
    // The same bytes whichever way they were cut into chunks (one Buffer, or concatenated).
    const buf = typeof text === 'string' ? Buffer.from(text) : text;
    const cut = await through(buf, endpoint, [1, Math.floor(buf.length / 2), buf.length - 1]);
    expect(upstreamBytes(cut as LlmRequest, target(upstream)).toString('utf8')).toBe(sent);
    return { req, sent };
  };

  it('redirecting fields written with escapes are dropped, wherever they stand', async () => {
    const escaped = (k: string) => [...k].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('');
    for (const [i, k] of REDIRECTING.entries()) {
      const other = REDIRECTING[(i + 1) % REDIRECTING.length]!;
      const { req, sent } = await ok(`{"${escaped(k)}":"http://evil",\t"model" : "m" ,${MSG},"${other.slice(0, 1)}${escaped(other.slice(1))}":{"x":"}evil"}\n}`);
      expect(req.dropped).toEqual([k, other]);
      expect(sent).not.toContain('evil');
      // The same key twice, spelled two ways, is a repeated key.
      expect(await through(`{"${k}":1,"model":"m",${MSG},"${escaped(k)}":2}`)).toBe('BAD_REQUEST');
    }
    // All of them, first, last and between kept members.
    const part = (ks: string[]) => ks.map((k) => `"${k}":1`).join(' , ');
    const { sent } = await ok(`{${part(REDIRECTING.slice(0, 7))},"model":"m", ${part(REDIRECTING.slice(7, 14))} ,${MSG},${part(REDIRECTING.slice(14))}}`);
    expect(sent).toBe(`{"model":"up-model",${MSG}}`);
  });

  it('a key that only looks like a redirecting field is kept and is a different key; another spelling of one is dropped', async () => {
    const { sent } = await ok(`{"api_key\\u0000":"a","API_KEY":"b","base_url ":"c","model":"m",${MSG}}`);
    expect(Object.keys(JSON.parse(sent) as object)).toEqual(['api_key\u0000', 'base_url ', 'model', 'messages']);
  });

  it('__proto__ members are own members to the policies and to the provider alike', async () => {
    for (const extra of ['', ',"api_key":"k"']) {
      const { req, sent } = await ok(`{"__proto__":{"model":"evil","api_key":"k2"},"model":"m",${MSG}${extra}}`);
      expect(req.model).toBe('m');
      expect(Object.hasOwn(req.body, '__proto__')).toBe(true);
      expect(Object.getPrototypeOf(req.body)).toBe(Object.prototype);
      expect(sent).toBe(`{"__proto__":{"model":"evil","api_key":"k2"},"model":"up-model",${MSG}}`);
    }
    // With no model of its own, the body's __proto__ lends it none: the default is asked for, ours written.
    const { req } = await ok(`{"__proto__":{"model":"evil"},${MSG}}`);
    expect(req.model).toBe('default-model');
    // In stream_options, which the gateway rewrites for streams.
    const stream = await ok(`{"model":"m","stream":true,"stream_options":{"__proto__":{"include_usage":true},"include_usage":false},${MSG}}`);
    expect(JSON.parse(stream.sent).stream_options).toStrictEqual(JSON.parse('{"__proto__":{"include_usage":true},"include_usage":true}'));
  });

  it('a model spelled with escapes that decodes to the target keeps its bytes; any other is replaced in place', async () => {
    const same = `{"model":"gpt\\u002d4o",${MSG}}`;
    expect((await ok(same, 'gpt-4o')).sent).toBe(same);
    expect((await ok(`{"model":"gpt\\u002d4o" ,${MSG}}`, 'gpt-4o-mini')).sent).toBe(`{"model":"gpt-4o-mini",${MSG}}`);
    expect(await through(`{"model":null,${MSG}}`)).toBe('INVALID_PARAMS');
    // A model that differs from the target only in a lone surrogate is not kept.
    expect((await ok(`{"model":"gpt-4o\\ud800",${MSG}}`, 'gpt-4o')).sent).toBe(`{"model":"gpt-4o",${MSG}}`);
  });

  it('surrogates, NUL escapes, U+2028 and non-ASCII in members pass through as read', async () => {
    await ok(`{"model":"m","\\ud83d\\ude00":"😀","😀x":"\\udfff\\ud800","k\\u0000":"\\u0000",${MSG},"s":"\u2028\u2029\\u2028"}`);
    await ok(Buffer.from(`\ufeff{"model":"m","é":"€",${MSG}}`));
  });

  it('numbers JSON.stringify would rewrite (1e999, -0, 1.0, long fractions) reach the provider as the same numbers', async () => {
    const { req, sent } = await ok(`{"model":"m","temperature":-0,"top_p":1e999,"seed":-1e999,"x":1.0,"y":1E-400,"z":12345678901234567890,${MSG}}`);
    expect(Object.is(req.body.temperature, -0)).toBe(true);
    expect(req.body.top_p).toBe(Infinity);
    expect(sent).toContain('"top_p":1e999');
    // The limits the gateway relies on must be safe integers however they are spelled.
    expect(await through(`{"model":"m","max_tokens":1e999,${MSG}}`)).toBe('INVALID_PARAMS');
    expect(await through(`{"model":"m","max_tokens":-0,${MSG}}`)).toBe('INVALID_PARAMS');
    expect(await through(`{"model":"m","n":9007199254740993,${MSG}}`)).toBe('INVALID_PARAMS');
    const spelled = await ok(`{"model":"m","max_tokens":5e1,"n":1.0,${MSG}}`);
    expect(spelled.req.maxOutputTokens).toBe(50);
    expect(spelled.req.n).toBe(1);
  });

  it('nesting exactly at the limit is spliced; one deeper is refused', async () => {
    const deep = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The body's own object is level 1.
    await ok(`{"model":"m","x":${deep(63)},${MSG}}`);
    expect(await through(`{"model":"m","x":${deep(64)},${MSG}}`)).toBe('BAD_REQUEST');
  });

  it('whitespace of every JSON kind around every token does not move an edit or a removal', async () => {
    const ws = ' \t\r\n';
    const text = `${ws}{${ws}"max_tokens"${ws}:${ws}900${ws},${ws}"api_key"${ws}:${ws}"k"${ws},${ws}"model"${ws}:${ws}"m"${ws},${ws}"stream"${ws}:${ws}true${ws},${ws}"max_completion_tokens"${ws}:${ws}8${ws},${ws}${MSG}${ws},${ws}"stream_options"${ws}:${ws}{${ws}"include_usage"${ws}:${ws}false${ws}}${ws}}${ws}`;
    const req = (await through(text)) as LlmRequest;
    checkForwarded(req, 'm', text);
    checkForwarded(withEnforcedLimit(req, 40), 'm', text);
    checkForwarded(withEnforcedLimit(req, 8), 'o3', text);
  });

  it('a budget clamp on a body whose limit is spelled differently writes the clamp, never the client value', async () => {
    for (const spelling of ['900', '9e2', '900.0', '9.00E+2']) {
      const req = (await through(`{"model":"m","max_tokens":${spelling},${MSG}}`)) as LlmRequest;
      const sent = JSON.parse(upstreamBytes(withEnforcedLimit(req, 100), target('m')).toString()) as Record<string, unknown>;
      expect(sent.max_tokens).toBe(100);
    }
  });
});

describe('forwarded body: mutated bodies found by fuzzing', () => {
  const BASE_MEMBERS = [
    '"model":"gpt-4o"',
    MSG,
    '"stream":true',
    '"stream_options":{"include_usage":false,"x":["}",{"y":"\\""}]}',
    '"max_tokens":300',
    '"max_completion_tokens":200',
    '"api_key":"sk"',
    '"base_url":"http://evil"',
    '"extra_headers":{"a":"b"}',
    '"__proto__":{"model":"evil"}',
    '"temperature":0.5',
    '"metadata":{"k":"é€😀","l":[1,2,{"m":null}]}',
  ];
  const SPICE = ['"', '\\', ',', ':', '{', '}', '[', ']', ' ', '\n', '\\u006d', '\\"', 'model', 'api_key', '\ufeff', '\u2028', 'é', '\u0000', '1e999', '-0', '/*', '*/'];

  it('every mutation readJsonBody accepts is forwarded as the policies read it', async () => {
    const random = seededRandom(Number(process.env.WARDEN_FUZZ_SEED ?? 20261125));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    let accepted = 0;
    for (let n = 0; n < Number(process.env.WARDEN_FUZZ_RUNS ?? 20_000); n++) {
      const members = BASE_MEMBERS.filter(() => random() < 0.6);
      if (!members.includes(MSG)) members.push(MSG);
      for (let i = members.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [members[i], members[j]] = [members[j]!, members[i]!];
      }
      let text = `{${members.join(',')}}`;
      // A few random edits: insert, delete or replace at random places.
      const edits = 1 + Math.floor(random() * 3);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(random() * (text.length + 1));
        const r = random();
        if (r < 0.45) text = text.slice(0, at) + pick(SPICE) + text.slice(at);
        else if (r < 0.75) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(random() * 3));
        else text = text.slice(0, at) + pick(SPICE) + text.slice(at + 1);
      }
      const req = await through(text);
      if (typeof req === 'string') continue;
      accepted++;
      checkForwarded(req, pick(['gpt-4o', 'o3-mini', 'llama']), text);
      if (random() < 0.5) checkForwarded(withEnforcedLimit(req, 1 + Math.floor(random() * 500)), pick(['gpt-4o', 'o3-mini']), text);
    }
    expect(accepted).toBeGreaterThan(1000);
  }, 120_000);
});

import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../errors/gateway-error.js';
import { MAX_JSON_DEPTH, readJsonBody, type ReadBody } from './read-body.js';

/** A request that delivers `chunks` as its body once readJsonBody listens. */
function read(chunks: Array<string | Buffer>, headers: Record<string, string> = {}): Promise<ReadBody> {
  const bufs = chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : c));
  const req = Object.assign(new EventEmitter(), {
    headers: { 'content-type': 'application/json', 'content-length': String(bufs.reduce((n, b) => n + b.length, 0)), ...headers },
    pause: () => undefined,
  }) as unknown as IncomingMessage;
  const body = readJsonBody(req, 1 << 20, true);
  for (const b of bufs) req.emit('data', b);
  req.emit('end');
  return body;
}

async function refusal(chunks: Array<string | Buffer>): Promise<string> {
  try {
    await read(chunks);
    return 'ok';
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    return `${err.code}: ${err.message}`;
  }
}

describe('readJsonBody', () => {
  it('fails, rather than waiting for ever, for a request that closed before it was read or before its end', async () => {
    const fake = (destroyed: boolean) =>
      Object.assign(new EventEmitter(), {
        headers: { 'content-type': 'application/json', 'content-length': '10' },
        pause: () => undefined,
        destroyed,
        readableEnded: false,
      }) as unknown as IncomingMessage;
    await expect(readJsonBody(fake(true), 1 << 20, true)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    const closing = fake(false);
    const body = readJsonBody(closing, 1 << 20, true);
    closing.emit('data', Buffer.from('{"a"'));
    closing.emit('close');
    await expect(body).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('refuses with 415 a body declared in a charset other than UTF-8, or compressed, and reads UTF-8 and identity', async () => {
    const code = (headers: Record<string, string>) =>
      read(['{"a":1}'], headers).then(
        () => 'ok',
        (err: GatewayError) => err.code,
      );
    expect(await code({ 'content-type': 'application/json; charset=latin1' })).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await code({ 'content-type': 'application/json;charset="utf-16"' })).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await code({ 'content-encoding': 'gzip' })).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await code({ 'content-encoding': 'gzip, identity' })).toBe('UNSUPPORTED_MEDIA_TYPE');
    expect(await code({ 'content-type': 'application/json; charset=UTF-8' })).toBe('ok');
    expect(await code({ 'content-type': 'application/json; charset=utf8' })).toBe('ok');
    expect(await code({ 'content-encoding': 'identity' })).toBe('ok');
  });

  it('returns the value with the bytes received, their digest and the top-level members', async () => {
    const text = '{"model":"m", "messages":[{"role":"user","content":"é €"}]}';
    const body = await read([text.slice(0, 20), text.slice(20)]);
    const raw = Buffer.from(text);
    expect(body.value).toEqual(JSON.parse(text));
    expect(body.bytes).toBe(raw.length);
    expect(body.digest).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(body.raw).toEqual(raw);
    expect(body.spans!.members.map((m) => [m.key, body.raw!.toString('utf8', m.start, m.end)])).toEqual([
      ['model', '"model":"m"'],
      ['messages', '"messages":[{"role":"user","content":"é €"}]'],
    ]);
  });

  it('reads ASCII and non-ASCII bodies alike, and accepts a byte order mark', async () => {
    expect((await read(['{"a":"\\u00e9"}'])).value).toEqual({ a: 'é' });
    expect((await read(['{"a":"é"}'])).value).toEqual({ a: 'é' });
    expect((await read(['\ufeff{"a":1}'])).value).toEqual({ a: 1 });
  });

  it('gives no members for a body that is not an object', async () => {
    const body = await read(['[{"a":1}]']);
    expect(body.value).toEqual([{ a: 1 }]);
    expect(body.spans).toBeNull();
  });

  it('refuses deep nesting and repeated keys before parsing, deep nesting first', async () => {
    expect(await refusal(['['.repeat(10_000)])).toBe(`BAD_REQUEST: JSON nesting deeper than ${MAX_JSON_DEPTH}`);
    expect(await refusal([`{"a":1,"a":2,"b":${'['.repeat(MAX_JSON_DEPTH)}]}`])).toBe(`BAD_REQUEST: JSON nesting deeper than ${MAX_JSON_DEPTH}`);
    expect(await refusal(['{"name":"x","\\u006eame":"y"}'])).toBe('BAD_REQUEST: Request body repeats a key in one JSON object');
    expect(await refusal([`${'['.repeat(MAX_JSON_DEPTH)}${']'.repeat(MAX_JSON_DEPTH)}`])).toBe('ok');
  });

  it('leaves malformed JSON and invalid UTF-8 to their own parse errors', async () => {
    expect(await refusal(['{"a":1'])).toBe('PARSE_ERROR: Request body is not valid JSON');
    expect(await refusal(['{"\\x":1,"\\x":2}'])).toBe('PARSE_ERROR: Request body is not valid JSON');
    expect(await refusal([Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d])])).toBe('PARSE_ERROR: Request body is not valid UTF-8');
  });

  it('takes the Latin-1 shortcut only for pure ASCII: one byte above 0x7f anywhere is UTF-8 or refused', async () => {
    // As Latin-1, 0x85 / 0xa0 / 0xff would read as U+0085 / U+00A0 / U+00FF and parse.
    for (const byte of [0x80, 0x85, 0xa0, 0xc3, 0xff]) {
      for (const head of ['{"model":"m', `{"a":"${'x'.repeat(5000)}`]) {
        const bytes = Buffer.concat([Buffer.from(head), Buffer.from([byte]), Buffer.from('"}')]);
        expect(await refusal([bytes])).toBe('PARSE_ERROR: Request body is not valid UTF-8');
        expect(await refusal([bytes.subarray(0, -2), bytes.subarray(-2)])).toBe('PARSE_ERROR: Request body is not valid UTF-8');
      }
    }
    const bytes = Buffer.from('{"model":"m\u0085\u00ff€😀"}');
    for (let cut = 1; cut < bytes.length; cut++) {
      expect((await read([bytes.subarray(0, cut), bytes.subarray(cut)])).value).toEqual({ model: 'm\u0085\u00ff€😀' });
    }
  });
});

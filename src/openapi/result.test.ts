import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { redactDeep, redactSecrets } from '../util/redact-secrets.js';
import { toToolResult } from './result.js';

const SECRETS = ['s3cret-token', 'hunter2&<admin>'];
const opts = {
  maxResultChars: 1000,
  redact: (t: string) => redactSecrets(t, SECRETS),
  redactValue: (v: unknown) => redactDeep(v, SECRETS),
  holdsSecret: (b: Buffer) => SECRETS.some((x) => b.includes(x)),
  resourceUri: 'openapi://pets/getPhoto',
};
const answer = (status: number, type: string, body: string | Buffer) => ({ status, headers: (type ? { 'content-type': type } : {}) as Record<string, string>, body: Buffer.isBuffer(body) ? body : Buffer.from(body) });

describe('tool results from HTTP answers', () => {
  it('gives JSON objects as structured content plus the same text, and wraps other JSON values under result', () => {
    expect(toToolResult(answer(200, 'application/json; charset=utf-8', '{"id":1}'), opts)).toEqual({ content: [{ type: 'text', text: '{"id":1}' }], structuredContent: { id: 1 } });
    expect(toToolResult(answer(200, 'application/problem+json', '[1,2]'), opts)).toMatchObject({ structuredContent: { result: [1, 2] } });
  });

  it('hands declared JSON that does not parse over as text, never as structured content', () => {
    const r = toToolResult(answer(200, 'application/json', '<html>oops</html>'), opts);
    expect(r).toEqual({ content: [{ type: 'text', text: '<html>oops</html>' }] });
  });

  it('turns 4xx and 5xx into error results with the status and a trimmed, redacted body', () => {
    const r = toToolResult(answer(404, 'application/json', `{"message":"no pet","echo":"s3cret-token","pad":"${'x'.repeat(5000)}"}`), opts);
    expect(r.isError).toBe(true);
    const text = (r.content as Array<{ text: string }>)[0]!.text;
    expect(text).toMatch(/^HTTP 404 Not Found: \{"message":"no pet"/);
    expect(text).not.toContain('s3cret-token');
    expect(text.length).toBeLessThan(2200);
    expect(toToolResult(answer(302, '', ''), opts)).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('redirect') }] });
  });

  it('redacts credentials echoed in JSON, in both the text and the structured content', () => {
    const r = toToolResult(answer(200, 'application/json', '{"headers":{"authorization":"Bearer s3cret-token"}}'), opts);
    expect(JSON.stringify(r)).not.toContain('s3cret-token');
    expect(r.structuredContent).toEqual({ headers: { authorization: 'Bearer [REDACTED]' } });
  });

  it('writes the text from the parsed value, so a repeated key cannot carry a credential past it', () => {
    const dup = '{"leak":"s3cret-token","leak":"nothing","q":1}';
    const r = toToolResult(answer(200, 'application/json', dup), opts);
    expect(JSON.stringify(r)).not.toContain('s3cret-token');
    expect(r).toEqual({ content: [{ type: 'text', text: '{"leak":"nothing","q":1}' }], structuredContent: { leak: 'nothing', q: 1 } });
    const err = toToolResult(answer(500, 'application/json', dup), opts);
    expect(JSON.stringify(err)).not.toContain('s3cret-token');
  });

  it('hands over an answer nested too deep to write back out as redacted text, not as an internal error', () => {
    const deep = `${'{"a":'.repeat(9000)}"s3cret-token"${'}'.repeat(9000)}`;
    const r = toToolResult(answer(200, 'application/json', deep), opts);
    expect(r.structuredContent).toBeUndefined();
    expect(JSON.stringify(r)).not.toContain('s3cret-token');
    expect((r.content as Array<{ text: string }>)[0]!.text).toContain('[truncated by the gateway');
    expect(toToolResult(answer(500, 'application/json', deep), opts).isError).toBe(true);
  });

  it('keeps text as text, images as image content and other bytes as an embedded resource with their MIME type', () => {
    expect(toToolResult(answer(200, 'text/plain', 'hello'), opts)).toEqual({ content: [{ type: 'text', text: 'hello' }] });
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47]);
    expect(toToolResult(answer(200, 'image/png', png), opts)).toEqual({ content: [{ type: 'image', data: png.toString('base64'), mimeType: 'image/png' }] });
    const gz = gzipSync('x');
    expect(toToolResult(answer(200, 'application/gzip', gz), opts)).toEqual({ content: [{ type: 'resource', resource: { uri: 'openapi://pets/getPhoto', mimeType: 'application/gzip', blob: gz.toString('base64') } }] });
  });

  it('cuts long text with a marker, and then gives no structured content', () => {
    const big = JSON.stringify({ items: 'y'.repeat(5000) });
    const r = toToolResult(answer(200, 'application/json', big), opts);
    expect(r.structuredContent).toBeUndefined();
    expect((r.content as Array<{ text: string }>)[0]!.text).toMatch(/\[truncated by the gateway: \d+ more characters\]$/);
  });

  it('checks structured content against an advertised output schema and says what does not match', () => {
    const r = toToolResult(answer(200, 'application/json', '{"id":"x"}'), { ...opts, checkOutput: (v) => ((v as { id: unknown }).id === 1 ? [] : ['id: expected integer']) });
    expect(r).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('id: expected integer') }] });
  });

  it('says so when a success has no body', () => {
    expect(toToolResult(answer(204, '', ''), opts)).toEqual({ content: [{ type: 'text', text: 'HTTP 204 (no content)' }] });
  });

  it('never leaves an advertised output schema without structured content: empty, non-JSON, invalid or oversized answers are errors', () => {
    const withSchema = { ...opts, checkOutput: () => [] };
    for (const a of [answer(204, '', ''), answer(200, 'text/plain', 'hi'), answer(200, 'application/json', '{oops'), answer(200, 'application/json', JSON.stringify({ x: 'y'.repeat(5000) }))]) {
      const r = toToolResult(a, withSchema);
      expect(r.isError, JSON.stringify(r).slice(0, 100)).toBe(true);
      expect(r.structuredContent).toBeUndefined();
    }
    expect(toToolResult(answer(200, 'application/json', '{"ok":1}'), withSchema)).toMatchObject({ structuredContent: { ok: 1 } });
  });

  it('redacts secrets a JSON answer spells with escapes (Go escapes & < > as \\u0026 \\u003c \\u003e)', () => {
    const r = toToolResult(answer(200, 'application/json', '{"pw":"hunter2\\u0026\\u003cadmin\\u003e"}'), opts);
    expect(r.structuredContent).toEqual({ pw: '[REDACTED]' });
    expect(JSON.stringify(r)).not.toMatch(/hunter2/);
    const e = toToolResult(answer(500, 'application/json', '{"pw":"hunter2\\u0026\\u003cadmin\\u003e"}'), opts);
    expect(JSON.stringify(e)).not.toMatch(/hunter2/);
  });

  it('reads message/* and *json* types as text, and withholds bytes that hold a credential', () => {
    expect(toToolResult(answer(200, 'message/http', 'GET / HTTP/1.1\r\nAuthorization: Bearer s3cret-token'), opts)).toEqual({ content: [{ type: 'text', text: 'GET / HTTP/1.1\r\nAuthorization: Bearer [REDACTED]' }] });
    expect(JSON.stringify(toToolResult(answer(200, 'application/x-ndjson', '{"t":"s3cret-token"}\n'), opts))).not.toContain('s3cret-token');
    const bin = toToolResult(answer(200, 'application/octet-stream', Buffer.from('\x00\x01s3cret-token\x02')), opts);
    expect(bin).toMatchObject({ isError: true, content: [{ text: expect.stringContaining('withheld') }] });
  });
});

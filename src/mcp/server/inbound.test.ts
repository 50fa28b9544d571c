import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../errors/gateway-error.js';
import { classifyInbound, decodeHeaderValue } from './inbound.js';

const envelope = (v = '2026-07-28') => ({
  'io.modelcontextprotocol/protocolVersion': v,
  'io.modelcontextprotocol/clientInfo': { name: 't', version: '1' },
  'io.modelcontextprotocol/clientCapabilities': {},
});
const modernCall = (name: string) => ({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: {}, _meta: envelope() } });
const modernHeaders = (name: string) => ({ protocolVersion: '2026-07-28', method: 'tools/call', name });

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return (err as GatewayError).code;
  }
  return 'no error';
}

describe('classifying an inbound MCP message', () => {
  it('recognises a 2026-07-28 request by its envelope and keeps its client capabilities', () => {
    const m = classifyInbound(modernCall('a__b'), modernHeaders('a__b'));
    expect(m).toMatchObject({ era: 'modern', kind: 'request', version: '2026-07-28', clientCapabilities: {} });
  });

  it('treats a request without an envelope as the 2025-11-25 session era', () => {
    const m = classifyInbound({ jsonrpc: '2.0', id: 'x', method: 'tools/list' }, { protocolVersion: '2025-11-25', sessionId: 's' });
    expect(m).toMatchObject({ era: 'legacy', kind: 'request', version: '2025-11-25' });
  });

  it('refuses an Mcp-Name header that names another tool than the body (HeaderMismatch -32020)', () => {
    expect(codeOf(() => classifyInbound(modernCall('gh__delete_repo'), modernHeaders('gh__get_weather')))).toBe('HEADER_MISMATCH');
  });

  it('refuses an Mcp-Method header that disagrees with the body', () => {
    expect(codeOf(() => classifyInbound(modernCall('a'), { protocolVersion: '2026-07-28', method: 'tools/list', name: 'a' }))).toBe('HEADER_MISMATCH');
  });

  it('refuses a 2026-07-28 request without the required headers', () => {
    expect(codeOf(() => classifyInbound(modernCall('a'), {}))).toBe('HEADER_MISMATCH');
    expect(codeOf(() => classifyInbound(modernCall('a'), { protocolVersion: '2026-07-28', method: 'tools/call' }))).toBe('HEADER_MISMATCH');
  });

  it('accepts a Base64-encoded Mcp-Name for a non-ASCII name and refuses a broken encoding', () => {
    const name = 'a__wetter_zürich';
    const encoded = `=?base64?${Buffer.from(name).toString('base64')}?=`;
    expect(classifyInbound(modernCall(name), modernHeaders(encoded)).era).toBe('modern');
    expect(decodeHeaderValue('=?base64?***?=')).toBeUndefined();
    expect(codeOf(() => classifyInbound(modernCall(name), modernHeaders('=?base64?***?=')))).toBe('HEADER_MISMATCH');
  });

  it('refuses unknown protocol versions with the supported list (-32022)', () => {
    let err: GatewayError | undefined;
    try {
      classifyInbound({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { protocolVersion: '1999-01-01', sessionId: 's' });
    } catch (e) {
      err = e as GatewayError;
    }
    expect(err?.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
    expect(err?.details?.supported).toContain('2026-07-28');
    expect(err?.jsonrpcCode).toBe(-32022);
    const bad = { jsonrpc: '2.0', id: 1, method: 'tools/list', params: { _meta: envelope('1999-01-01') } };
    expect(codeOf(() => classifyInbound(bad, { protocolVersion: '1999-01-01', method: 'tools/list' }))).toBe('UNSUPPORTED_PROTOCOL_VERSION');
  });

  it('refuses batches, empty batches, and messages with a missing or wrong jsonrpc, or a null, float or object id', () => {
    expect(codeOf(() => classifyInbound([{ jsonrpc: '2.0', id: 1, method: 'ping' }], {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound([], {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound({ id: 1, method: 'ping' }, {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound({ jsonrpc: '1.0', id: 1, method: 'ping' }, {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound({ jsonrpc: '2.0', id: null, method: 'ping' }, {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound({ jsonrpc: '2.0', id: 1.5, method: 'ping' }, {}))).toBe('BAD_REQUEST');
    expect(codeOf(() => classifyInbound({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' }, {}))).toBe('BAD_REQUEST');
  });

  it('classifies notifications and client responses', () => {
    expect(classifyInbound({ jsonrpc: '2.0', method: 'notifications/initialized' }, {}).kind).toBe('notification');
    expect(classifyInbound({ jsonrpc: '2.0', id: 'wdn-1', result: {} }, {}).kind).toBe('response');
  });
});

describe('the known-envelope fast path', () => {
  it('classifies exactly like the SDK ladder once an envelope has been seen', () => {
    const first = classifyInbound(modernCall('a__b'), modernHeaders('a__b'));
    const again = classifyInbound(modernCall('a__b'), modernHeaders('a__b'));
    expect(again).toEqual(first);
  });

  it('still refuses header mismatches, bad ids and bad progress tokens for a known envelope', () => {
    classifyInbound(modernCall('a__b'), modernHeaders('a__b'));
    expect(codeOf(() => classifyInbound(modernCall('gh__delete_repo'), modernHeaders('gh__get_weather')))).toBe('HEADER_MISMATCH');
    expect(codeOf(() => classifyInbound(modernCall('a'), { protocolVersion: '2026-07-28', method: 'tools/list', name: 'a' }))).toBe('HEADER_MISMATCH');
    expect(codeOf(() => classifyInbound({ ...modernCall('a'), id: 1.5 }, modernHeaders('a')))).toBe('BAD_REQUEST');
    const badToken = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', _meta: { ...envelope(), progressToken: { x: 1 } } } };
    expect(codeOf(() => classifyInbound(badToken, modernHeaders('a')))).toBe('BAD_REQUEST');
  });

  it('sends a different envelope through the ladder again', () => {
    classifyInbound(modernCall('a__b'), modernHeaders('a__b'));
    const bad = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'a', _meta: { ...envelope(), 'io.modelcontextprotocol/logLevel': 'loud' } } };
    expect(codeOf(() => classifyInbound(bad, modernHeaders('a')))).toBe('INVALID_PARAMS');
  });
});

describe('the session-era fast path', () => {
  const inSession = { protocolVersion: '2025-11-25', sessionId: 's' };
  it('classifies a plain session request exactly like the full ladder', () => {
    const body = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'a', arguments: {}, _meta: { progressToken: 3 } } };
    const fast = classifyInbound(body, inSession);
    const full = classifyInbound(body, { protocolVersion: '2025-11-25' });
    expect(fast).toEqual(full);
  });

  it('sends anything unusual through the ladder: bad progress tokens, reserved keys, unknown versions', () => {
    const badToken = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'a', _meta: { progressToken: { x: 1 } } } };
    expect(codeOf(() => classifyInbound(badToken, inSession))).toBe('BAD_REQUEST');
    const claimed = { jsonrpc: '2.0', id: 7, method: 'tools/list', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '1999-01-01' } } };
    expect(codeOf(() => classifyInbound(claimed, inSession))).toBe(codeOf(() => classifyInbound(claimed, { protocolVersion: '2025-11-25' })));
    expect(codeOf(() => classifyInbound(claimed, inSession))).not.toBe('no error');
    expect(codeOf(() => classifyInbound({ jsonrpc: '2.0', id: 1, method: 'tools/list' }, { protocolVersion: '1999-01-01', sessionId: 's' }))).toBe('UNSUPPORTED_PROTOCOL_VERSION');
  });
});

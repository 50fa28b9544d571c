import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_ERROR_CODES, ERROR_CODES } from './codes.js';
import { GatewayError, errorBody, jsonrpcError, openaiErrorBody, toGatewayError } from './gateway-error.js';

const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d+) \| (-?\d+) \| `([a-z_]+)` \| (yes|no) \|/gm)].map((m) => ({
  code: m[1]!,
  http: Number(m[2]),
  jsonrpc: Number(m[3]),
  openaiType: m[4]!,
  retryable: m[5] === 'yes',
}));

describe('error code table', () => {
  it('is documented in docs/errors.md row for row, in both directions', () => {
    expect(rows.map((r) => r.code).sort()).toEqual([...ALL_ERROR_CODES].sort());
    for (const r of rows) {
      const spec = ERROR_CODES[r.code as keyof typeof ERROR_CODES];
      expect({ http: spec.http, jsonrpc: spec.jsonrpc, openaiType: spec.openaiType, retryable: spec.retryable }).toEqual({
        http: r.http,
        jsonrpc: r.jsonrpc,
        openaiType: r.openaiType,
        retryable: r.retryable,
      });
    }
  });

  it('keeps gateway JSON-RPC numbers in -32010..-32019 and unique except the documented shared -32019', () => {
    // Everything in the server-error range -32099..-32000 is ours and must sit in -32019..-32010.
    const gateway = ALL_ERROR_CODES.filter((c) => ERROR_CODES[c].jsonrpc >= -32019 && ERROR_CODES[c].jsonrpc <= -32000);
    // -32020..-32099 is MCP's: only the codes MCP itself defines may appear (checked below).
    expect(gateway.length).toBeGreaterThan(5);
    for (const c of gateway) {
      expect(ERROR_CODES[c].jsonrpc, c).toBeGreaterThanOrEqual(-32019);
      expect(ERROR_CODES[c].jsonrpc, c).toBeLessThanOrEqual(-32010);
    }
    const byNumber = new Map<number, string[]>();
    for (const c of gateway) byNumber.set(ERROR_CODES[c].jsonrpc, [...(byNumber.get(ERROR_CODES[c].jsonrpc) ?? []), c]);
    for (const [n, codes] of byNumber) {
      if (n === -32019) expect(codes.sort()).toEqual(['AUDIT_UNAVAILABLE', 'OVERLOADED']);
      else if (n === -32011) expect(codes.sort()).toEqual(['FORBIDDEN', 'MODEL_NOT_PRICED', 'TOOL_QUARANTINED']);
      else expect(codes, String(n)).toHaveLength(1);
    }
  });

  it('uses only standard JSON-RPC numbers outside the gateway range', () => {
    // JSON-RPC's own codes, and the MCP-reserved ones MCP defines (HeaderMismatch, UnsupportedProtocolVersion).
    const standard = new Set([-32700, -32600, -32601, -32602, -32603, -32020, -32022]);
    for (const c of ALL_ERROR_CODES) {
      const n = ERROR_CODES[c].jsonrpc;
      if (n < -32019 || n > -32010) expect(standard.has(n), c).toBe(true);
    }
  });

  it('renders the same code in every envelope and hides causes', () => {
    const err = new GatewayError('RATE_LIMITED', 'slow down', { headers: { 'retry-after': '3' }, cause: new Error('secret detail') });
    expect(errorBody(err, 'r1')).toEqual({ error: { code: 'RATE_LIMITED', message: 'slow down', requestId: 'r1', retryable: true } });
    expect(jsonrpcError(err, 'r1')).toEqual({ code: -32012, message: 'slow down', data: { code: 'RATE_LIMITED', requestId: 'r1' } });
    expect(openaiErrorBody(err, 'r1').error).toMatchObject({ type: 'rate_limit_exceeded', code: 'rate_limited' });
    expect(JSON.stringify(errorBody(err, 'r1'))).not.toContain('secret detail');
  });

  it('turns unknown throwables into INTERNAL with a generic message', () => {
    const ge = toGatewayError(new TypeError('database password is hunter2'));
    expect(ge.code).toBe('INTERNAL');
    expect(ge.message).not.toContain('hunter2');
    expect(ge.httpStatus).toBe(500);
  });
});

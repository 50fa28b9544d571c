/**
 * How gateway errors are answered on MCP (the error object itself is `jsonrpcError`). HTTP
 * status: transport-level problems keep their status (parse errors, bad headers, no
 * session, authentication, overload, rate and budget limits); anything decided about a well-formed request (unknown
 * tool, policy denial, upstream failure) is an ordinary JSON-RPC error in a 200, so MCP
 * clients surface it as the tool call's error instead of a transport failure.
 */
import { ERROR_CODES, type ErrorCode } from '../../errors/codes.js';
import type { GatewayError } from '../../errors/gateway-error.js';

const TRANSPORT_LEVEL: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'BAD_REQUEST',
  'PARSE_ERROR',
  'PAYLOAD_TOO_LARGE',
  'UNSUPPORTED_MEDIA_TYPE',
  'NOT_ACCEPTABLE',
  'HEADER_MISMATCH',
  'UNSUPPORTED_PROTOCOL_VERSION',
  'SESSION_NOT_FOUND',
  'UNAUTHENTICATED',
  'METHOD_NOT_ALLOWED',
  'OVERLOADED',
  'AUDIT_UNAVAILABLE',
  // Limits keep 429 and Retry-After, so proxies and clients back off as they would anywhere.
  'RATE_LIMITED',
  'BUDGET_EXCEEDED',
  'REQUEST_TIMEOUT',
]);

export function mcpHttpStatus(err: GatewayError, validRequest: boolean): number {
  if (!validRequest || TRANSPORT_LEVEL.has(err.code)) return ERROR_CODES[err.code].http;
  // Envelope problems on an otherwise valid request (INVALID_PARAMS from the ladder) stay 400 too.
  if (err.code === 'INVALID_PARAMS' && err.details?.envelope !== undefined) return 400;
  return 200;
}

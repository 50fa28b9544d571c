/**
 * Turns one POSTed body (already parsed, size/depth/duplicate-key checked by read-body)
 * plus the MCP headers into a classified inbound message, or a typed protocol error.
 *
 * The era decision and the JSON-RPC/envelope validation ladder are the SDK's own
 * (`classifyInboundRequest`), so the gateway classifies exactly as a v2 server would; the
 * header cross-checks the SDK leaves to its transport (Mcp-Method/Mcp-Name presence and
 * agreement) are done here, because the policy must decide on the body and the body only.
 */
import { classifyInboundRequest } from '@modelcontextprotocol/server';
import { GatewayError } from '../../errors/gateway-error.js';
import { classifyMessage, type JsonRpcMessage, type JsonRpcRequest } from '../jsonrpc.js';
import { META, SUPPORTED_VERSIONS, isLegacyVersion, isModernVersion, type Era } from '../protocol/versions.js';

export interface McpHeaders {
  protocolVersion?: string;
  method?: string;
  name?: string;
  sessionId?: string;
}

export interface InboundMessage {
  era: Era;
  kind: 'request' | 'notification' | 'response';
  message: JsonRpcMessage;
  /** Modern: the envelope's version. Legacy: the header's, or null (the session knows). */
  version: string | null;
  /** Modern only: the client's capabilities from the per-request envelope. */
  clientCapabilities: Record<string, unknown> | null;
}

/** Which body field the Mcp-Name header mirrors, per method (2026-07-28 Streamable HTTP). */
const NAME_FIELD: Readonly<Record<string, string>> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

/**
 * Envelopes (the reserved `io.modelcontextprotocol/*` entries of `_meta`) the SDK ladder
 * has already accepted. Clients send the same envelope on every request, and validating it
 * (zod over client info and capabilities) is most of the ladder's cost; a request whose
 * envelope is known skips the ladder, and the gateway's own shape and header checks, which
 * cover everything else the ladder checks on a modern request, still run.
 */
const knownEnvelopes = new Set<string>();
const MAX_KNOWN_ENVELOPES = 1024;

function envelopeKey(meta: Record<string, unknown>): string {
  const reserved: unknown[] = [];
  for (const k in meta) if (k.startsWith('io.modelcontextprotocol/')) reserved.push(k, meta[k]);
  return JSON.stringify(reserved);
}

function fastModern(body: unknown, headers: McpHeaders): InboundMessage | null {
  if (headers.protocolVersion !== '2026-07-28' || body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const meta = (body as { params?: { _meta?: unknown } }).params?._meta;
  if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return null;
  const m = meta as Record<string, unknown>;
  if (m[META.protocolVersion] !== '2026-07-28') return null;
  // The ladder's JSON-RPC shape check also types the progress token.
  if (m.progressToken !== undefined && typeof m.progressToken !== 'string' && !(typeof m.progressToken === 'number' && Number.isFinite(m.progressToken))) return null;
  if (!knownEnvelopes.has(envelopeKey(m))) return null;
  const shape = classifyMessage(body);
  if (shape.kind !== 'request') return null;
  checkModernHeaders(shape.message, headers, '2026-07-28');
  const caps = m[META.clientCapabilities];
  return { era: 'modern', kind: 'request', message: shape.message, version: '2026-07-28', clientCapabilities: caps as Record<string, unknown> };
}

/**
 * The session era's common case: a request inside a session (header version a supported
 * 2025-era one) with no reserved `_meta` keys at all. The SDK ladder routes exactly these
 * to legacy serving after its JSON-RPC shape check, which `classifyMessage` (stricter on
 * ids) and the progress-token check repeat; anything else takes the full ladder.
 */
function fastLegacy(body: unknown, headers: McpHeaders): InboundMessage | null {
  if (headers.sessionId === undefined || headers.protocolVersion === undefined || !isLegacyVersion(headers.protocolVersion)) return null;
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
  const meta = (body as { params?: { _meta?: unknown } }).params?._meta;
  if (meta !== undefined) {
    if (meta === null || typeof meta !== 'object' || Array.isArray(meta)) return null;
    for (const k in meta) if (k.startsWith('io.modelcontextprotocol/')) return null;
    const token = (meta as { progressToken?: unknown }).progressToken;
    if (token !== undefined && typeof token !== 'string' && !(typeof token === 'number' && Number.isFinite(token))) return null;
  }
  const shape = classifyMessage(body);
  if (shape.kind !== 'request' || (shape.message as JsonRpcRequest).method === 'initialize') return null;
  return { era: 'legacy', kind: 'request', message: shape.message, version: headers.protocolVersion, clientCapabilities: null };
}

export function classifyInbound(body: unknown, headers: McpHeaders): InboundMessage {
  const fast = fastModern(body, headers) ?? fastLegacy(body, headers);
  if (fast) return fast;
  if (Array.isArray(body)) {
    throw new GatewayError('BAD_REQUEST', body.length === 0 ? 'Empty JSON-RPC batch' : 'JSON-RPC batches are not supported; send one message per request');
  }
  const outcome = classifyInboundRequest({
    httpMethod: 'POST',
    body,
    ...(headers.protocolVersion !== undefined ? { protocolVersionHeader: headers.protocolVersion } : {}),
    ...(headers.method !== undefined ? { mcpMethodHeader: headers.method } : {}),
    ...(headers.name !== undefined ? { mcpNameHeader: headers.name } : {}),
  });
  if (outcome.kind === 'reject') throw fromLadder(outcome.code, outcome.message, outcome.data);

  // The SDK proved the shape on the modern path only; the gateway's own check covers both.
  const shape = classifyMessage(body);
  if (shape.kind === 'invalid') throw new GatewayError('BAD_REQUEST', `Invalid JSON-RPC message: ${shape.reason}`);

  if (outcome.kind === 'modern') {
    const meta = (shape.message as { params?: { _meta?: Record<string, unknown> } }).params?._meta ?? {};
    // A notification may come without an envelope; its header then names the version.
    const version = meta[META.protocolVersion] ?? (shape.kind === 'notification' ? headers.protocolVersion : undefined);
    if (typeof version !== 'string' || !isModernVersion(version)) throw unsupportedVersion(version);
    checkModernHeaders(shape.message, headers, version);
    if (shape.kind === 'request') {
      if (knownEnvelopes.size >= MAX_KNOWN_ENVELOPES) knownEnvelopes.clear();
      knownEnvelopes.add(envelopeKey(meta));
    }
    const caps = meta[META.clientCapabilities];
    return {
      era: 'modern',
      kind: shape.kind,
      message: shape.message,
      version,
      clientCapabilities: caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
    };
  }

  // A modern-looking envelope naming a version we do not know is classified legacy by the SDK: refuse it here.
  const claimed = (shape.message as { params?: { _meta?: Record<string, unknown> } }).params?._meta?.[META.protocolVersion];
  if (claimed !== undefined && !(typeof claimed === 'string' && SUPPORTED_VERSIONS.includes(claimed))) throw unsupportedVersion(claimed);
  if (headers.protocolVersion !== undefined && !isLegacyVersion(headers.protocolVersion) && (shape.message as { method?: string }).method !== 'initialize') {
    throw unsupportedVersion(headers.protocolVersion);
  }
  return { era: 'legacy', kind: shape.kind, message: shape.message, version: headers.protocolVersion ?? null, clientCapabilities: null };
}

function checkModernHeaders(message: JsonRpcMessage, headers: McpHeaders, version: string): void {
  if (headers.protocolVersion === undefined) {
    throw mismatch('(missing)', `the body names protocol version ${version} but the MCP-Protocol-Version header is absent`);
  }
  if (headers.protocolVersion.trim() !== version) {
    throw mismatch(headers.protocolVersion, `the body names protocol version ${version} but the MCP-Protocol-Version header names ${headers.protocolVersion}`);
  }
  if (!('method' in message)) return;
  if (headers.method === undefined) throw mismatch('(missing)', `the body names method ${message.method} but the Mcp-Method header is absent`);
  if (headers.method.trim() !== message.method) {
    throw mismatch(headers.method, `the body names method ${message.method} but the Mcp-Method header names ${headers.method}`);
  }
  const field = NAME_FIELD[message.method];
  if (field === undefined) return;
  const bodyValue = message.params?.[field];
  if (typeof bodyValue !== 'string') return; // the method's own validation reports the missing field
  if (headers.name === undefined) throw mismatch('(missing)', `the body carries params.${field}="${clip(bodyValue)}" but the Mcp-Name header is absent`);
  const decoded = decodeHeaderValue(headers.name.trim());
  if (decoded === undefined) throw mismatch(headers.name, 'the Mcp-Name header carries an invalid Base64 value');
  if (decoded !== bodyValue) {
    throw mismatch(headers.name, `the body carries params.${field}="${clip(bodyValue)}" but the Mcp-Name header names "${clip(decoded)}"`);
  }
}

/** Header values that are not plain ASCII travel as `=?base64?<b64>?=` (2026-07-28). */
export function decodeHeaderValue(value: string): string | undefined {
  if (!(value.startsWith('=?base64?') && value.endsWith('?='))) return value;
  const b64 = value.slice(9, -2);
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(b64)) return undefined;
  const bytes = Buffer.from(b64, 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function mismatch(header: string, body: string): GatewayError {
  return new GatewayError('HEADER_MISMATCH', `Bad Request: the request headers and body disagree: ${body}`, {
    details: { mismatch: { header: clip(header), body } },
  });
}

export function unsupportedVersion(requested: unknown): GatewayError {
  return new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', `Unsupported protocol version: ${clip(String(requested))}`, {
    details: { supported: [...SUPPORTED_VERSIONS], requested: typeof requested === 'string' ? clip(requested) : null },
  });
}

/** Maps an SDK ladder rejection onto the gateway's stable codes. */
function fromLadder(code: number, message: string, data: unknown): GatewayError {
  const details = data !== null && typeof data === 'object' ? (data as Record<string, unknown>) : undefined;
  const opts = details ? { details } : {};
  switch (code) {
    case -32700:
      return new GatewayError('PARSE_ERROR', message, opts);
    case -32602:
      return new GatewayError('INVALID_PARAMS', message, opts);
    case -32601:
      return new GatewayError('NOT_FOUND', message, opts);
    case -32020:
      return new GatewayError('HEADER_MISMATCH', message, opts);
    case -32022:
      return new GatewayError('UNSUPPORTED_PROTOCOL_VERSION', message, { details: { ...details, supported: [...SUPPORTED_VERSIONS] } });
    default:
      return new GatewayError('BAD_REQUEST', message, opts);
  }
}

function clip(s: string): string {
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/** JSON-RPC 2.0 message shapes as MCP uses them (no batches since 2025-06-18). */

export type JsonRpcId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: JsonRpcId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResultResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result: Record<string, unknown>;
}

export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

export type MessageKind = 'request' | 'notification' | 'response';

/**
 * Classifies an already-parsed value, or says why it is not a single valid JSON-RPC 2.0
 * message. Ids must be strings or integers (MCP forbids null; floats and objects are refused).
 */
export function classifyMessage(value: unknown): { kind: MessageKind; message: JsonRpcMessage } | { kind: 'invalid'; reason: string } {
  if (Array.isArray(value)) return { kind: 'invalid', reason: 'JSON-RPC batches are not supported by MCP' };
  if (typeof value !== 'object' || value === null) return { kind: 'invalid', reason: 'a JSON-RPC message must be an object' };
  const m = value as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return { kind: 'invalid', reason: '"jsonrpc" must be "2.0"' };
  const hasId = Object.hasOwn(m, 'id');
  if (hasId && !isValidId(m.id)) return { kind: 'invalid', reason: '"id" must be a string or an integer' };
  if (m.params !== undefined && (typeof m.params !== 'object' || m.params === null || Array.isArray(m.params))) {
    return { kind: 'invalid', reason: '"params" must be an object' };
  }
  if (typeof m.method === 'string') {
    if (Object.hasOwn(m, 'result') || Object.hasOwn(m, 'error')) return { kind: 'invalid', reason: 'a message cannot carry both a method and a result or error' };
    if (m.method.length === 0 || m.method.length > 128) return { kind: 'invalid', reason: '"method" must be 1-128 characters' };
    return hasId ? { kind: 'request', message: m as unknown as JsonRpcRequest } : { kind: 'notification', message: m as unknown as JsonRpcNotification };
  }
  if (Object.hasOwn(m, 'method')) return { kind: 'invalid', reason: '"method" must be a string' };
  const hasResult = Object.hasOwn(m, 'result');
  const hasError = Object.hasOwn(m, 'error');
  if (hasResult === hasError) return { kind: 'invalid', reason: 'a response carries exactly one of "result" and "error"' };
  if (!hasId && !(hasError && m.id === null)) return { kind: 'invalid', reason: 'a response needs an "id"' };
  if (hasResult && (typeof m.result !== 'object' || m.result === null || Array.isArray(m.result))) return { kind: 'invalid', reason: '"result" must be an object' };
  if (hasError) {
    const e = m.error as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || !Number.isInteger(e.code) || typeof e.message !== 'string') {
      return { kind: 'invalid', reason: '"error" must have an integer code and a string message' };
    }
  }
  return { kind: 'response', message: m as unknown as JsonRpcResponse };
}

export function isValidId(id: unknown): id is JsonRpcId {
  return (typeof id === 'string' && id.length <= 256) || (typeof id === 'number' && Number.isSafeInteger(id));
}

export function isErrorResponse(r: JsonRpcResponse): r is JsonRpcErrorResponse {
  return Object.hasOwn(r, 'error');
}

/**
 * The agent answered a request the gateway relayed to it (sampling, elicitation) with a
 * JSON-RPC error: the upstream gets that error as the agent gave it (code, message, data).
 */
export class ClientAnswerError extends Error {
  readonly rpc: JsonRpcErrorObject;
  constructor(rpc: JsonRpcErrorObject) {
    super(rpc.message);
    this.rpc = rpc;
  }
}

/**
 * The one table of wire errors. Every error a client can see has a stable code here,
 * mapped to an HTTP status, a JSON-RPC code and an OpenAI error `type`.
 *
 * JSON-RPC numbering: standard codes where their meaning fits; gateway codes in
 * -32010..-32019, inside the range MCP leaves to implementations (-32000..-32019),
 * clear of -32000/-32001 (SDK-local errors) and -32002 (MCP legacy), and of the
 * MCP-reserved -32020..-32099. Renaming or renumbering a code is a breaking change.
 */
export const ERROR_CODES = {
  BAD_REQUEST: { http: 400, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The request is malformed (bad JSON, wrong shape, forbidden parameter).' },
  PARSE_ERROR: { http: 400, jsonrpc: -32700, openaiType: 'invalid_request_error', retryable: false, description: 'The request body is not valid JSON.' },
  INVALID_PARAMS: { http: 400, jsonrpc: -32602, openaiType: 'invalid_request_error', retryable: false, description: 'Parameters do not match the expected schema.' },
  NOT_FOUND: { http: 404, jsonrpc: -32601, openaiType: 'invalid_request_error', retryable: false, description: 'No such route, method, tool or resource (or the caller may not see it).' },
  METHOD_NOT_ALLOWED: { http: 405, jsonrpc: -32601, openaiType: 'invalid_request_error', retryable: false, description: 'The route exists but not for this HTTP method.' },
  PAYLOAD_TOO_LARGE: { http: 413, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The request body exceeds the configured limit (counted by bytes read).' },
  HEADERS_TOO_LARGE: { http: 431, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The request headers exceed the server limit.' },
  REQUEST_TIMEOUT: { http: 408, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: true, description: 'The client did not send a complete request in time.' },
  UNSUPPORTED_MEDIA_TYPE: { http: 415, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The request body has a content type, charset (JSON is UTF-8) or content encoding (compression) this endpoint does not accept.' },
  NOT_ACCEPTABLE: { http: 406, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The Accept header rules out every response type this endpoint can send.' },
  HEADER_MISMATCH: { http: 400, jsonrpc: -32020, openaiType: 'invalid_request_error', retryable: false, description: 'MCP: the Mcp-Method, Mcp-Name or MCP-Protocol-Version header disagrees with the body (MCP HeaderMismatch).' },
  UNSUPPORTED_PROTOCOL_VERSION: { http: 400, jsonrpc: -32022, openaiType: 'invalid_request_error', retryable: false, description: 'MCP: the protocol version is not one the gateway supports; data lists the supported ones.' },
  SESSION_NOT_FOUND: { http: 404, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'MCP 2025-11-25: no such session for this agent (expired, closed, or opened by someone else); initialize again.' },
  TOOL_NOT_FOUND: { http: 404, jsonrpc: -32602, openaiType: 'invalid_request_error', retryable: false, description: 'No such tool, prompt or resource for this caller (hidden ones answer the same).' },
  MODEL_NOT_FOUND: { http: 404, jsonrpc: -32602, openaiType: 'invalid_request_error', retryable: false, description: 'LLM API: no such model or alias for this agent (models it may not use answer the same).' },
  MODEL_NOT_PRICED: { http: 403, jsonrpc: -32011, openaiType: 'permission_error', retryable: false, description: 'LLM API: the model has no price and the agent has a money budget, so its cost could not be reserved (an operator sets llm.prices).' },
  TOOL_QUARANTINED: { http: 403, jsonrpc: -32011, openaiType: 'permission_error', retryable: false, description: 'The tool is new or its definition changed and it awaits an admin\'s approval (warden tools approve).' },
  UNAUTHENTICATED: { http: 401, jsonrpc: -32010, openaiType: 'authentication_error', retryable: false, description: 'No valid credential was presented.' },
  FORBIDDEN: { http: 403, jsonrpc: -32011, openaiType: 'permission_error', retryable: false, description: 'The caller is known but may not do this.' },
  RATE_LIMITED: { http: 429, jsonrpc: -32012, openaiType: 'rate_limit_exceeded', retryable: true, description: 'A rate limit was hit; retry after the time in Retry-After.' },
  BUDGET_EXCEEDED: { http: 429, jsonrpc: -32013, openaiType: 'budget_exceeded', retryable: false, description: 'A hard budget (tokens, money or calls) is exhausted for its window.' },
  LOOP_DETECTED: { http: 508, jsonrpc: -32014, openaiType: 'loop_detected', retryable: false, description: 'Loop or runaway detection stopped the call.' },
  DATA_EXPOSURE_BLOCKED: { http: 403, jsonrpc: -32015, openaiType: 'guardrail_blocked', retryable: false, description: 'A data-exposure policy blocked the payload.' },
  UPSTREAM_UNAVAILABLE: { http: 503, jsonrpc: -32016, openaiType: 'api_error', retryable: true, description: 'The upstream could not be reached or is failing.' },
  UPSTREAM_TIMEOUT: { http: 504, jsonrpc: -32017, openaiType: 'api_error', retryable: true, description: 'The upstream did not answer in time.' },
  UPSTREAM_BAD_RESPONSE: { http: 502, jsonrpc: -32018, openaiType: 'api_error', retryable: false, description: 'The upstream answered with something the gateway cannot accept.' },
  CLIENT_CLOSED_REQUEST: { http: 499, jsonrpc: -32600, openaiType: 'invalid_request_error', retryable: false, description: 'The client went away before the answer was complete (audit only: nobody is left to receive it).' },
  OVERLOADED: { http: 503, jsonrpc: -32019, openaiType: 'overloaded_error', retryable: true, description: 'The gateway is shedding load or shutting down; retry after Retry-After.' },
  AUDIT_UNAVAILABLE: { http: 503, jsonrpc: -32019, openaiType: 'api_error', retryable: true, description: 'The audit store cannot commit records; governed requests fail closed.' },
  INTERNAL: { http: 500, jsonrpc: -32603, openaiType: 'api_error', retryable: false, description: 'An unexpected gateway fault (details are in the gateway log under the request id).' },
} as const satisfies Record<string, ErrorSpec>;

export interface ErrorSpec {
  http: number;
  jsonrpc: number;
  openaiType: string;
  retryable: boolean;
  description: string;
}

export type ErrorCode = keyof typeof ERROR_CODES;

export const ALL_ERROR_CODES = Object.keys(ERROR_CODES) as ErrorCode[];

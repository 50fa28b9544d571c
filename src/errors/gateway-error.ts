import { ERROR_CODES, type ErrorCode } from './codes.js';

/**
 * The only error that reaches a client. `message` and `details` must be safe to show;
 * `cause` is for the log only.
 */
export class GatewayError extends Error {
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;
  readonly headers: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GatewayError';
    this.code = code;
    this.details = opts.details;
    this.headers = opts.headers ?? {};
  }

  get httpStatus(): number {
    return ERROR_CODES[this.code].http;
  }

  get jsonrpcCode(): number {
    return ERROR_CODES[this.code].jsonrpc;
  }

  get retryable(): boolean {
    return ERROR_CODES[this.code].retryable;
  }
}

/** Anything that is not a GatewayError becomes INTERNAL with a generic message. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError('INTERNAL', 'Internal gateway error', { cause: err });
}

/** The JSON body every plain-HTTP error uses (admin, whoami, health, gateway-level failures). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; requestId: string; retryable: boolean; details?: Record<string, unknown> };
}

export function errorBody(err: GatewayError, requestId: string): ErrorBody {
  return {
    error: {
      code: err.code,
      message: err.message,
      requestId,
      retryable: err.retryable,
      ...(err.details ? { details: err.details } : {}),
    },
  };
}

/** OpenAI's error envelope, so `openai` clients surface the message (used by the LLM API). */
export function openaiErrorBody(err: GatewayError, requestId: string) {
  return {
    error: {
      message: err.message,
      type: ERROR_CODES[err.code].openaiType,
      param: typeof err.details?.param === 'string' ? err.details.param : null,
      code: err.code.toLowerCase(),
      request_id: requestId,
    },
  };
}

/**
 * JSON-RPC error object; `data` carries the stable string code and request id, next to the
 * error's details (MCP defines fields there, e.g. `supported` for -32022).
 */
export function jsonrpcError(err: GatewayError, requestId: string) {
  return {
    code: err.jsonrpcCode,
    message: err.message,
    data: { ...(err.details ?? {}), code: err.code, requestId },
  };
}

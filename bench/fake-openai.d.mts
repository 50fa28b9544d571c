// Types of bench/fake-openai.mjs (plain JS so benchmarks run it without a TypeScript loader).

export interface FakeOpenAi {
  /** Base URL including /v1, as the openai client's baseURL. */
  url: string;
  port: number;
  /** Every request, in arrival order, once its body was read (also those the client aborted). */
  requests: RecordedRequest[];
  /** Queues behaviours for the next model calls (POSTs; `fail-<status>` models take none), in order; when empty, the default. */
  script(...steps: FakeStep[]): void;
  setDefault(step: FakeStep): void;
  /** Clears the recorded requests, the script, the default step and the abort count. */
  reset(): void;
  /** Stops listening and destroys every open socket, hung ones included. */
  close(): Promise<void>;
  stats: {
    /** Open TCP connections (idle keep-alive ones included). */
    open: number;
    /** Requests whose client disconnected before the response ended. */
    aborted: number;
    /** Requests received whose response has neither ended nor been abandoned by the client. */
    inFlight: number;
  };
}

export interface RecordedRequest {
  method: string;
  /** Without the query string. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON, or undefined when there was no body or it was not JSON. */
  body: any;
  /** Date.now() when the body had been read. */
  at: number;
}

export type FakeStep = {
  /** >= 400: answer this status in OpenAI's error envelope; below: the status of a normal answer. */
  status?: number;
  /** Replaces the error envelope of an error status. */
  errorBody?: object;
  /** Replaces the error envelope of an error status with this exact text (JSON spelt as a test needs). */
  errorText?: string;
  /** Answer this exact body, at `status` (default 200), whatever was asked: an HTML error page of a proxy, say. */
  text?: string;
  /** The content type of `text` (default text/html). */
  contentType?: string;
  /** Before the status line and headers. */
  delayMs?: number;
  /** Accept the request and never answer. */
  hang?: boolean;
  /** What usage to report: the fake's own count ('normal'), none at all ('omit'), or these numbers. */
  usage?: 'normal' | 'omit' | { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  /** Completion tokens to produce per choice, default 8 (one word each; max_tokens and the like truncate). */
  tokens?: number;
  /** Stream: pause between SSE events. */
  chunkDelayMs?: number;
  /** Stream: destroy the socket once this many SSE events were written. */
  breakAfterChunks?: number;
  /** Stream: keep sending a text event every chunkDelayMs (20 ms if unset) until the client goes away. */
  neverEnd?: boolean;
  /** Stream: after the last event ([DONE]), keep the response open this long before ending it. */
  lingerAfterDoneMs?: number;
  /** Stream: one more text event of about this many bytes (after the words; its filler counts as one token per 2 bytes). */
  hugeEventBytes?: number;
  /** Extra response headers. */
  headers?: Record<string, string>;
  /** Sets the retry-after header. */
  retryAfter?: string;
  /** Answer with a call of the request's first function tool (arguments filled from its schema; `fake_tool` if there is none). */
  toolCall?: boolean;
};

export interface FakeOpenAiOptions {
  /** Require `Authorization: Bearer <apiKey>`, else 401. */
  apiKey?: string;
  host?: '127.0.0.1';
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Keep `requests`; default true. Benchmarks turn it off. */
  record?: boolean;
  /** What GET /v1/models lists; any model name is accepted for calls. */
  models?: string[];
  /** Report usage at about four bytes a token instead of counting exactly (benchmarks: a fast upstream). */
  approxTokens?: boolean;
}

export function startFakeOpenAi(opts?: FakeOpenAiOptions): Promise<FakeOpenAi>;

/** The encoding the fake counts a model's tokens with. */
export function encodingNameFor(model: string): 'o200k_base' | 'cl100k_base';

/** The fake's chat prompt count: OpenAI's per-message rule, tool definitions by their JSON. */
export function countChatPrompt(count: (text: string) => number, messages: unknown, tools?: unknown): number;

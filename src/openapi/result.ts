/**
 * An HTTP response as an MCP tool result. JSON becomes structured content plus its text;
 * text stays text; images become image content and other bytes an embedded resource with
 * their MIME type. Non-2xx answers are tool errors (`isError`), as MCP wants failures of the
 * API itself reported to the model, not as protocol errors. Every string an agent receives
 * has passed the redactor first.
 */
import { isObject } from '../util/is-object.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ResultOptions {
  /** Text (and JSON text) is cut here, with a marker. */
  maxResultChars: number;
  /** Replaces credential values (and their encodings) in text. */
  redact: (text: string) => string;
  /** The same for a parsed JSON value (keys and strings): JSON can spell a secret in escapes no text search knows. */
  redactValue: (value: unknown) => unknown;
  /** True when bytes contain a credential value (bodies that are not text cannot be redacted, only withheld). */
  holdsSecret: (body: Buffer) => boolean;
  /** For embedded resources: names where a binary body came from. */
  resourceUri: string;
  /** The operation advertises an output schema: its structured content must be an object that conforms. */
  checkOutput?: ((value: unknown) => string[]) | undefined;
}

const ERROR_BODY_CHARS = 2_000;
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  410: 'Gone', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Entity', 429: 'Too Many Requests',
  500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function errorResult(text: string, structured?: Record<string, unknown>): Record<string, unknown> {
  return { content: [{ type: 'text', text }], isError: true, ...(structured ? { structuredContent: structured } : {}) };
}

export function toToolResult(answer: HttpAnswer, opts: ResultOptions): Record<string, unknown> {
  const mediaType = (answer.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const status = answer.status;
  if (status < 200 || status >= 300) {
    const head = `HTTP ${status}${STATUS_TEXT[status] ? ` ${STATUS_TEXT[status]}` : ''}`;
    if (status >= 300 && status < 400) return errorResult(`${head}: the API answered with a redirect, which the gateway does not follow`);
    const body = isTextual(mediaType) || mediaType === '' ? cut(safeText(answer.body, mediaType, opts), ERROR_BODY_CHARS) : answer.body.length > 0 ? `(${answer.body.length} bytes of ${mediaType})` : '';
    return errorResult(body === '' ? head : `${head}: ${body}`);
  }
  // An advertised output schema obliges structured content (clients reject a result without
  // it): whatever cannot give conforming structured content is a tool error instead.
  const owesStructured = opts.checkOutput !== undefined;
  if (answer.body.length === 0) {
    return owesStructured
      ? errorResult(`The call reached the API and it answered HTTP ${status} with no body, but the operation declares a JSON output schema: do not retry a call that changes data`)
      : { content: [{ type: 'text', text: `HTTP ${status} (no content)` }] };
  }
  if (owesStructured && !isJson(mediaType)) {
    return errorResult(`The call reached the API and it answered HTTP ${status} (${mediaType || 'no content type'}), but the operation declares a JSON output schema: do not retry a call that changes data`);
  }

  if (isJson(mediaType)) {
    const text = decodeText(answer.body);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (owesStructured) return errorResult('The API\'s response is not valid JSON, but the operation declares a JSON output schema');
      // Declared JSON that is not: hand it over as text, never as structured content.
      return textResult(opts.redact(text), opts.maxResultChars);
    }
    // Past this nesting the value cannot be written back out (nor by the MCP layer): text only.
    if (nestsDeeper(value, MAX_RESULT_DEPTH)) {
      if (owesStructured) return errorResult(`The API's response nests deeper than ${MAX_RESULT_DEPTH} levels, but the operation declares a JSON output schema`);
      return textResult(opts.redact(text), opts.maxResultChars);
    }
    // Redact the parsed value, not the text (`\u0026` spells `&` where no text search looks),
    // and give as text exactly what the structured content holds, written from it: the raw
    // text may hold what the value does not (a repeated key's first value, which JSON.parse drops).
    const safeValue = opts.redactValue(value);
    const redactedText = JSON.stringify(safeValue);
    const structured = isObject(safeValue) ? safeValue : { result: safeValue };
    if (opts.checkOutput) {
      const problems = opts.checkOutput(structured);
      if (problems.length > 0) return errorResult(`The API's response does not match the operation's declared output schema:\n${problems.map((p) => `- ${p}`).join('\n')}`);
    }
    if (redactedText.length > opts.maxResultChars) {
      if (owesStructured) return errorResult(`The API's response (${redactedText.length} characters) is larger than this import's maxResultChars (${opts.maxResultChars})`);
      // Too large to hand over whole: truncated text only (structured content would be cut JSON).
      return textResult(redactedText, opts.maxResultChars);
    }
    return { content: [{ type: 'text', text: redactedText }], structuredContent: structured };
  }
  if (isTextual(mediaType) || mediaType === '') return textResult(safeText(answer.body, mediaType, opts), opts.maxResultChars);
  if (opts.holdsSecret(answer.body)) return errorResult(`The API's ${mediaType} response contains a credential of this import; the gateway withheld it`);
  const data = answer.body.toString('base64');
  if (mediaType.startsWith('image/')) return { content: [{ type: 'image', data, mimeType: mediaType }] };
  if (mediaType.startsWith('audio/')) return { content: [{ type: 'audio', data, mimeType: mediaType }] };
  return { content: [{ type: 'resource', resource: { uri: opts.resourceUri, mimeType: mediaType, blob: data } }] };
}

function textResult(text: string, max: number): Record<string, unknown> {
  return { content: [{ type: 'text', text: cut(text, max) }] };
}

function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}\n[truncated by the gateway: ${text.length - max} more characters]`;
}

function decodeText(body: Buffer): string {
  return body.toString('utf8');
}

/** A text body with credentials redacted; JSON is redacted as parsed JSON when it parses. */
function safeText(body: Buffer, mediaType: string, opts: ResultOptions): string {
  const text = decodeText(body);
  if (isJson(mediaType)) {
    try {
      const value = JSON.parse(text) as unknown;
      // Written from the parsed value (see toToolResult), unless too deep to write: text below.
      if (!nestsDeeper(value, MAX_RESULT_DEPTH)) return JSON.stringify(opts.redactValue(value));
    } catch {
      // Not JSON after all: redacted as text below.
    }
  }
  return opts.redact(text);
}

export function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || mediaType.endsWith('+json') || mediaType === 'text/json';
}

/** Text the agent can read and the redactor can search; everything else is bytes. */
function isTextual(mediaType: string): boolean {
  return (
    mediaType.startsWith('text/') ||
    mediaType.startsWith('message/') ||
    mediaType.includes('json') ||
    isJson(mediaType) ||
    mediaType.endsWith('+xml') ||
    mediaType === 'application/xml' ||
    mediaType === 'application/javascript' ||
    mediaType === 'application/x-www-form-urlencoded' ||
    mediaType === 'application/yaml' ||
    mediaType === 'application/x-yaml'
  );
}

/** Deeper answers are handed over as text: writing them back out would overflow the stack. */
const MAX_RESULT_DEPTH = 256;

/** Whether a parsed JSON value nests deeper than `max` (iterative: any depth is safe to ask about). */
function nestsDeeper(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  return false;
}

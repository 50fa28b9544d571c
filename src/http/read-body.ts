import type { IncomingMessage } from 'node:http';
import { GatewayError } from '../errors/gateway-error.js';
import { refusedPayload } from '../pipeline/policy.js';
import { scanJson, type JsonObjectSpans } from '../util/json-scan.js';
import { sha256Hex } from '../util/sha256.js';
import { utf8Text } from '../util/utf8-text.js';

export interface ReadBody {
  value: unknown;
  bytes: number;
  digest: string | null;
  /** The bytes received (null without a body): `value` is exactly what JSON.parse reads from them. */
  raw: Buffer | null;
  /** Where the members of a top-level object sit in `raw`, so a caller can forward what it received. */
  spans: JsonObjectSpans | null;
}

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)/i;

/** Deepest nesting accepted in a JSON body; deeper input is a cheap way to burn CPU and stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Reads a JSON body, counting the bytes actually received: a Content-Length above the
 * limit is refused at once, and a body that streams past the limit (chunked, or lying
 * about its length) is refused as soon as it crosses it, without buffering the rest.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, required: boolean): Promise<ReadBody> {
  const declared = req.headers['content-length'];
  const hasBody = declared !== undefined ? declared !== '0' : req.headers['transfer-encoding'] !== undefined;
  if (!hasBody) {
    if (required) throw new GatewayError('BAD_REQUEST', 'A JSON request body is required');
    return { value: undefined, bytes: 0, digest: null, raw: null, spans: null };
  }
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i.test(type)) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'Content-Type must be application/json');
  }
  // JSON is UTF-8 (RFC 8259): a body declared in another charset, or compressed, is not read as if it were UTF-8.
  const charset = CHARSET.exec(type)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'A JSON body must be UTF-8 (charset=utf-8)');
  const encoding = req.headers['content-encoding'];
  if (encoding !== undefined && !/^\s*(identity)?\s*$/i.test(encoding)) {
    throw new GatewayError('UNSUPPORTED_MEDIA_TYPE', 'Content-Encoding is not supported: send the body uncompressed');
  }
  if (declared !== undefined && Number(declared) > maxBytes) {
    throw new GatewayError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`);
  }
  const chunks = await collect(req, maxBytes);
  const bytes = chunks.reduce((n, c) => n + c.length, 0);
  const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, bytes);
  // A body read whole and then refused is still described in its audit record.
  const refuse = (err: GatewayError): unknown => refusedPayload(err, { bytes, digest: sha256Hex(buf) });
  // Invalid UTF-8 is an error, not silently replaced with U+FFFD (and so is text too long for a string).
  let text: string | null;
  try {
    text = utf8Text(buf);
  } catch {
    text = null;
  }
  if (text === null) throw refuse(new GatewayError('PARSE_ERROR', 'Request body is not valid UTF-8'));
  // On the bytes, now known to be valid UTF-8: one pass for both rules and the members' places.
  const scan = scanJson(buf, MAX_JSON_DEPTH);
  if (scan.problem === 'too-deep') throw refuse(new GatewayError('BAD_REQUEST', `JSON nesting deeper than ${MAX_JSON_DEPTH}`));
  if (scan.problem === 'duplicate-key') throw refuse(new GatewayError('BAD_REQUEST', 'Request body repeats a key in one JSON object'));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw refuse(new GatewayError('PARSE_ERROR', 'Request body is not valid JSON'));
  }
  return { value, bytes, digest: sha256Hex(buf), raw: buf, spans: scan.spans };
}

/**
 * Collects chunks until the end or the limit. On overflow it stops reading (without
 * destroying the socket, so the 413 can still be written; the caller closes the
 * connection after answering).
 */
function collect(req: IncomingMessage, maxBytes: number): Promise<Buffer[]> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
      req.off('close', onAborted);
    };
    const onData = (chunk: Buffer) => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        cleanup();
        req.pause();
        reject(new GatewayError('PAYLOAD_TOO_LARGE', `Request body exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new GatewayError('BAD_REQUEST', 'Request body could not be read', { cause: err }));
    };
    const onAborted = () => onError(new Error('client aborted'));
    // A request that closed before its end (or before these listeners: a policy awaited
    // something first) would otherwise leave this promise, and what waits on it, pending.
    if (req.destroyed && !req.readableEnded) return onAborted();
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
    req.on('close', onAborted);
  });
}

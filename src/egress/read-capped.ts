import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { EgressError } from './egress-error.js';

/** Codings decoded (and so advertised in Accept-Encoding). */
export const ACCEPT_ENCODING = 'gzip, deflate, br';

export interface ReadCappedOptions {
  /** The response's Content-Encoding header, if any. */
  contentEncoding: string | undefined;
  /** Largest decoded body accepted. */
  maxBytes: number;
  origin: string;
  /** Turns a stream error (reset, abort by a deadline) into what the caller throws. */
  mapError: (err: unknown) => unknown;
}

/**
 * Reads a response body, decoding its content codings, and fails with EGRESS_TOO_LARGE the
 * moment the decoded bytes pass `maxBytes`: the body is destroyed there (undici then drops
 * the connection), so a small compressed bomb never inflates past the cap in memory. The
 * encoded bytes are capped too (a little above maxBytes, as compression can add a few
 * bytes), which bounds bodies that decode to almost nothing.
 */
export function readCapped(body: Readable, opts: ReadCappedOptions): Promise<Buffer> {
  const codings = parseCodings(opts.contentEncoding);
  if (codings instanceof EgressError) {
    body.on('error', () => {}).destroy();
    return Promise.reject(codings);
  }
  const rawCap = codings.length === 0 ? opts.maxBytes : opts.maxBytes + Math.ceil(opts.maxBytes / 100) + 64 * 1024;
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let raw = 0;
    let decoded = 0;
    let settled = false;
    let head: Transform | null = null;
    let tail: Transform | null = null;
    const decoders: Transform[] = [];

    const stop = () => {
      body.destroy();
      for (const d of decoders) d.destroy();
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      stop();
      reject(err);
    };
    const done = () => {
      if (settled) return;
      settled = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, decoded));
    };
    const tooLarge = () => new EgressError('EGRESS_TOO_LARGE', `${opts.origin}: the response exceeds ${opts.maxBytes} bytes`, { maxBytes: opts.maxBytes });
    const take = (chunk: Buffer) => {
      decoded += chunk.length;
      if (decoded > opts.maxBytes) return fail(tooLarge());
      chunks.push(chunk);
    };

    body.on('data', (chunk: Buffer) => {
      if (settled) return;
      raw += chunk.length;
      if (raw > rawCap) return fail(tooLarge());
      if (codings.length === 0) return take(chunk);
      if (!head) {
        // Built on the first byte: an empty body (HEAD, 204) has nothing to decode.
        for (let i = codings.length - 1; i >= 0; i--) decoders.push(decoderFor(codings[i]!, codings.length === 1 ? chunk : undefined));
        for (let i = 0; i < decoders.length - 1; i++) decoders[i]!.pipe(decoders[i + 1]!);
        head = decoders[0]!;
        tail = decoders[decoders.length - 1]!;
        for (const d of decoders) d.on('error', (err: Error) => fail(new EgressError('EGRESS_BAD_RESPONSE', `${opts.origin}: the response body could not be decoded (${codings.join(', ')})`, { reason: (err as { code?: string }).code, cause: err })));
        tail.on('data', (out: Buffer) => {
          if (!settled) take(out);
        });
        tail.on('end', done);
      }
      if (!head.write(chunk)) {
        body.pause();
        head.once('drain', () => body.resume());
      }
    });
    body.on('end', () => {
      if (head) head.end();
      else done();
    });
    body.on('error', (err: unknown) => fail(opts.mapError(err)));
    // Destroyed without an error (a consumer elsewhere): nothing more will come.
    body.on('close', () => {
      if (!settled && !body.readableEnded) fail(opts.mapError(Object.assign(new Error('closed'), { code: 'UND_ERR_SOCKET' })));
    });
  });
}

/**
 * Real servers apply one coding, rarely two; each layer costs a decompressor, and a header of
 * thousands of layers would cost minutes of CPU on one response (undici caps the chain too).
 */
const MAX_CODINGS = 3;

/** Content codings in the order they were applied; identity dropped. */
function parseCodings(header: string | undefined): string[] | EgressError {
  if (!header) return [];
  const codings: string[] = [];
  for (const part of header.split(',')) {
    const c = part.trim().toLowerCase();
    if (c === '' || c === 'identity') continue;
    if (codings.length === MAX_CODINGS) return new EgressError('EGRESS_BAD_RESPONSE', `more than ${MAX_CODINGS} content codings`);
    if (c !== 'gzip' && c !== 'x-gzip' && c !== 'deflate' && c !== 'br') {
      return new EgressError('EGRESS_BAD_RESPONSE', `unsupported content encoding ${JSON.stringify(c.slice(0, 32))}`);
    }
    codings.push(c);
  }
  return codings;
}

function decoderFor(coding: string, first: Buffer | undefined): Transform {
  if (coding === 'br') return createBrotliDecompress();
  if (coding === 'deflate') {
    // HTTP's deflate is zlib-wrapped, but some servers send raw deflate: a zlib stream's
    // first byte has compression method 8 in its low nibble.
    return first && first.length > 0 && (first[0]! & 0x0f) !== 0x08 ? createInflateRaw() : createInflate();
  }
  return createGunzip();
}

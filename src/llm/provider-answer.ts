/**
 * How the forward step judges what a provider sent: whether an answer is whole JSON (and so
 * read, not relayed), whether a 2xx body is one the agent may receive, and the provider's
 * refusal as the agent gets it. The secret scrub reads UTF-8 text, so bodies in other
 * encodings are neither passed on as answers nor shown in refusals.
 */
import { isUtf8 } from 'node:buffer';
import type { ProviderRuntime } from './provider-runtime.js';
import { scrubSecrets } from './scrub-secrets.js';

/** The body as a JSON object, when it is one in UTF-8 (a 2xx answer the agent may receive); else undefined. */
export function jsonObjectOf(body: Buffer): Record<string, unknown> | undefined {
  if (!isUtf8(body)) return undefined;
  try {
    const v: unknown = JSON.parse(body.toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON content type (application/json, or a +json suffix): the answer is whole, not an event stream. */
export function answersJson(contentType: string | string[] | undefined): boolean {
  const ct = (Array.isArray(contentType) ? contentType[0] : contentType)?.split(';', 1)[0]?.trim().toLowerCase();
  return ct !== undefined && (ct === 'application/json' || ct.endsWith('+json'));
}

// Control characters other than tab and line breaks: not a message meant to be read.
const NOT_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

/** A provider's error body for the client: its own JSON envelope when it sent one, else ours around its text. */
export function providerRefusal(body: Buffer, status: number, provider: ProviderRuntime): Buffer {
  const clean = scrubSecrets(body, provider);
  try {
    const json = JSON.parse(clean.toString('utf8')) as unknown;
    if (json && typeof json === 'object' && 'error' in json) return clean;
  } catch {
    // not JSON: wrapped below
  }
  // Only text is passed on: the scrub searches bytes, and a key spelt in another encoding
  // (UTF-16, say) would pass it.
  const text = isUtf8(clean) ? clean.toString('utf8') : '';
  const shown = clean.length === 0 ? 'an empty body' : text !== '' && !NOT_TEXT.test(text) ? text.slice(0, 500) : `a body of ${clean.length} bytes that is not text, not shown`;
  const message = `${provider.config.id} refused the request (HTTP ${status}): ${shown}`;
  return Buffer.from(JSON.stringify({ error: { message, type: 'invalid_request_error', param: null, code: 'upstream_refused' } }));
}

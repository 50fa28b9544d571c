import { z } from 'zod';
import { SecretRefSchema, resolveSecretRef } from '../config/secret-ref.js';
import { refusedLiteralHost } from '../egress/literal-host.js';

/** Headers the sender sets itself (or that belong to the connection): configuring one is a mistake, said at load time. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'content-type', 'user-agent', 'idempotency-key']);
/** A CR or LF would split the request; NUL is refused by every server. */
const UNSAFE_HEADER_VALUE = /[\r\n\0]/;

const HeaderNameSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{1,64}$/, 'must be a header name of 1-64 letters, digits or "-"')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), { error: 'is set by the webhook sender itself' });

const HeaderValueSchema = z.union([
  z
    .string()
    .max(4096)
    .refine((v) => !UNSAFE_HEADER_VALUE.test(v), { error: 'may not contain CR, LF or NUL' }),
  SecretRefSchema,
]);

export const WebhookConfigSchema = z
  .strictObject({
    url: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .refine((u) => {
        const url = new URL(u);
        return url.username === '' && url.password === '';
      }, { error: 'may not carry credentials; send them in a header, as a secret reference' })
      .describe('Where alert events are POSTed as JSON. Only its origin is ever logged, since webhook URLs often carry a token in the path'),
    headers: z
      .record(HeaderNameSchema, HeaderValueSchema)
      .default({})
      .refine((h) => new Set(Object.keys(h).map((k) => k.toLowerCase())).size === Object.keys(h).length, { error: 'names a header twice (header names ignore case)' })
      .describe('Extra request headers (e.g. Authorization); secrets as references. Values are never logged'),
    internal: z
      .boolean()
      .default(false)
      .describe('The receiver runs on this machine or the private network: only then may its host resolve to loopback or private addresses'),
    timeoutMs: z.number().int().min(100).max(60_000).default(5_000).describe('One attempt, from connecting to the end of the response; a timed-out attempt is retried'),
    maxAttempts: z.number().int().min(1).max(20).default(5).describe('Attempts per event, the first included, before it is counted as failed'),
    maxQueue: z
      .number()
      .int()
      .min(1)
      .max(100_000)
      .default(1_000)
      .describe('Events waiting for delivery (the one being sent included); further events are dropped and counted until the queue drains'),
  })
  .superRefine((w, ctx) => {
    const refused = refusedLiteralHost(w.url, w.internal, 'a webhook');
    if (refused !== null) ctx.addIssue({ code: 'custom', path: ['url'], message: refused });
  })
  .describe('Optional webhook for alert events (budget thresholds and overruns, loop-detection trips): one POST per event, retried, in order, never delaying a request');

/** The settings as parsed from configuration: header values may still be secret references. */
export type WebhookSettings = z.output<typeof WebhookConfigSchema>;

/** What the sender needs: the settings with every header value resolved. */
export interface WebhookConfig {
  url: string;
  headers: Record<string, string>;
  internal: boolean;
  timeoutMs: number;
  maxAttempts: number;
  maxQueue: number;
}

/**
 * Resolves the header references (relative secret files against `baseDir`, the folder of
 * the file that declared them). The message on failure names the header, never its value.
 */
export async function resolveWebhookConfig(
  settings: WebhookSettings,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: true; config: WebhookConfig } | { ok: false; message: string }> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(settings.headers)) {
    if (typeof value === 'string') {
      headers[name] = value;
      continue;
    }
    const resolved = await resolveSecretRef(value, baseDir, env);
    if (!resolved.ok) return { ok: false, message: `webhook header ${name}: ${resolved.message}` };
    const secret = resolved.secret.reveal();
    if (UNSAFE_HEADER_VALUE.test(secret)) return { ok: false, message: `webhook header ${name}: the secret contains CR, LF or NUL` };
    headers[name] = secret;
  }
  return { ok: true, config: { ...settings, headers } };
}

/**
 * A provider ready to call: its origin, base path, and the headers the gateway sends (its
 * key and configured headers, resolved from their references once at start). Agents'
 * own headers are never forwarded, so these are the only credentials a provider sees.
 */
import type { Dispatcher } from 'undici';
import type { LlmConfig, ProviderConfig } from '../config/llm-schema.js';
import type { ConfigIssue } from '../config/issues.js';
import { resolveSecretRef, type Secret } from '../config/secret-ref.js';
import type { Egress } from '../egress/egress.js';

export interface ProviderRuntime {
  readonly config: ProviderConfig;
  readonly origin: string;
  /** `/v1` for `https://api.openai.com/v1`; '' for a base URL at the root. */
  readonly basePath: string;
  /** `?api-version=...`, or ''. */
  readonly query: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Every secret value sent to this provider, so answers that echo one can be scrubbed. */
  readonly secrets: readonly string[];
  readonly dispatcher: Dispatcher;
}

export interface ResolvedProviders {
  providers: ReadonlyMap<string, ProviderRuntime>;
  issues: ConfigIssue[];
}

export async function resolveProviders(
  llm: LlmConfig,
  egress: Egress,
  opts: { baseDir: string; file: string; env?: NodeJS.ProcessEnv },
): Promise<ResolvedProviders> {
  const providers = new Map<string, ProviderRuntime>();
  const issues: ConfigIssue[] = [];
  for (const [i, p] of llm.providers.entries()) {
    const headers: Record<string, string> = {};
    const secrets: string[] = [];
    const reveal = async (ref: Parameters<typeof resolveSecretRef>[0], path: string): Promise<Secret | null> => {
      const r = await resolveSecretRef(ref, opts.baseDir, opts.env);
      if (r.ok) return r.secret;
      issues.push({ file: opts.file, path, message: r.message });
      return null;
    };
    for (const [name, value] of Object.entries(p.headers)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
      else {
        const s = await reveal(value, `llm.providers[${i}].headers.${name}`);
        if (s) {
          headers[name.toLowerCase()] = s.reveal();
          secrets.push(s.reveal());
        }
      }
    }
    if (p.apiKey) {
      const s = await reveal(p.apiKey, `llm.providers[${i}].apiKey`);
      if (s) {
        const header = p.apiKeyHeader.toLowerCase();
        headers[header] = header === 'authorization' ? `Bearer ${s.reveal()}` : s.reveal();
        secrets.push(s.reveal());
      }
    }
    const url = new URL(p.baseUrl);
    const query = new URLSearchParams(url.search);
    for (const [k, v] of Object.entries(p.query)) query.set(k, v);
    const qs = query.toString();
    providers.set(p.id, {
      config: p,
      origin: url.origin,
      basePath: url.pathname.replace(/\/+$/, ''),
      query: qs ? `?${qs}` : '',
      headers,
      secrets,
      dispatcher: egress.dispatcher({
        origin: url.origin,
        internal: p.internal,
        connections: p.maxConnections,
        connectTimeoutMs: p.timeouts.connectMs,
      }),
    });
  }
  return { providers, issues };
}

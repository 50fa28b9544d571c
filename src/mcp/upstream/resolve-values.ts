import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { describeSecretRef, resolveSecretRef } from '../../config/secret-ref.js';
import { GatewayError } from '../../errors/gateway-error.js';

/** The only variables of the gateway's own environment a stdio upstream inherits. */
const INHERITED_ENV = ['PATH', 'HOME', 'LANG'] as const;

export interface ResolvedValues {
  /** stdio: the environment; http/sse: the headers. */
  values: Record<string, string>;
  /** The values that came from secret references (and a bearer header's token alone), for redaction. */
  secrets: readonly string[];
}

/**
 * What a connection needs from configuration with secret references resolved: the
 * environment of a stdio process, or the headers of an HTTP upstream. Resolved on every
 * connect so a rotated secret file is picked up by the next restart.
 */
export async function resolveUpstreamValues(config: UpstreamConfig, baseDir: string, env: NodeJS.ProcessEnv): Promise<ResolvedValues> {
  const out: Record<string, string> = {};
  const secrets: string[] = [];
  if (config.transport === 'stdio') {
    for (const name of INHERITED_ENV) {
      const v = env[name];
      if (v !== undefined) out[name] = v;
    }
  }
  const source = config.transport === 'stdio' ? config.env : config.headers;
  for (const [key, value] of Object.entries(source)) {
    // Header names are case-insensitive: lower-case them so the transport's own headers replace, not duplicate, them.
    const name = config.transport === 'stdio' ? key : key.toLowerCase();
    if (typeof value === 'string') {
      out[name] = value;
      continue;
    }
    const r = await resolveSecretRef(value, baseDir, env);
    if (!r.ok) {
      throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id}: ${name} cannot be resolved (${describeSecretRef(value)})`, { details: { reason: r.message } });
    }
    out[name] = r.secret.reveal();
    secrets.push(out[name]);
    // A bearer header's token alone is what an echo most often shows.
    const token = /^(?:bearer|basic|token)\s+(\S+)$/i.exec(out[name])?.[1];
    if (token) secrets.push(token);
  }
  return { values: out, secrets };
}

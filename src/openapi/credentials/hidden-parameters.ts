import type { CredentialsConfig } from './credential-schema.js';
import { placementKey, type Placement } from './injector.js';
import { readSecuritySchemes } from './security-schemes.js';

const AUTHORIZATION: Placement = { in: 'header', name: 'Authorization' };

/**
 * Parameters the agent never sees or sets: every apiKey location the spec declares
 * (configured or not: gitea's `Sudo` impersonation header stays out of reach), the
 * Authorization header when the spec has http/oauth2/openIdConnect schemes, and every
 * inject entry, whether or not its secret resolves. Derived from the spec and the sidecar
 * alone (no secrets), so the schema mapper can use it away from the credentials.
 */
export function hiddenParametersOf(securitySchemes: unknown, config: CredentialsConfig): Placement[] {
  const out = new Map<string, Placement>();
  const add = (p: Placement) => {
    const k = placementKey(p);
    if (!out.has(k)) out.set(k, { in: p.in, name: p.name });
  };
  for (const spec of readSecuritySchemes(securitySchemes).values()) {
    if (spec.kind === 'apiKey') add({ in: spec.in, name: spec.name });
    else if (spec.kind === 'basic' || spec.kind === 'bearer' || spec.kind === 'oauth2' || spec.kind === 'openIdConnect') add(AUTHORIZATION);
  }
  for (const e of config.inject) add({ in: e.in, name: e.name });
  return [...out.values()];
}

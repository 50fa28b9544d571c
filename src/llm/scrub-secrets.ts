import type { ProviderRuntime } from './provider-runtime.js';

/**
 * Replaces any of the provider's own secrets an answer echoes (a misbehaving proxy, a debug
 * mode), so a key the gateway holds never reaches an agent. A search per secret; a copy only
 * when one is found.
 */
export function scrubSecrets(body: Buffer, provider: ProviderRuntime): Buffer {
  let out = body;
  for (const secret of provider.secrets) {
    if (out.indexOf(secret) === -1) continue;
    out = Buffer.from(out.toString('utf8').split(secret).join('[redacted]'), 'utf8');
  }
  return out;
}

import { isIP } from 'node:net';
import { checkAddress, describeClass, internalMayReach } from './address-policy.js';

/**
 * Why the egress rules would refuse every call to `url`, when its host says so by itself: an
 * IP literal, or `localhost` (which resolves to loopback). Said when the configuration is
 * loaded, where the operator can act on it, rather than as a connection failure on every
 * request. Host names are left to the connection-time check (their DNS can change). `who`
 * names what is configured ("a provider"), for the message.
 */
export function refusedLiteralHost(url: string, internal: boolean, who: string): string | null {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return null; // the URL's own validation reports it
  }
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const lower = bare.toLowerCase().replace(/\.$/, ''); // "localhost." is localhost too
  const ip = isIP(bare) !== 0 ? bare : lower === 'localhost' || lower.endsWith('.localhost') ? '127.0.0.1' : null;
  if (ip === null) return null;
  const verdict = checkAddress(ip, internal);
  if (verdict.allowed) return null;
  return internalMayReach(verdict.class.kind)
    ? `${host} is ${describeClass(verdict.class)}: the gateway calls it only for ${who} configured with internal: true`
    : `${host} is ${describeClass(verdict.class)}: the gateway never calls it`;
}

import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { buildConnector } from 'undici';
import { checkAddress, describeClass, internalMayReach, type AddressClass } from './address-policy.js';
import { EgressError } from './egress-error.js';

/** Resolves a host name to every address it has (the test seam for DNS). */
export type EgressLookup = (host: string) => Promise<Array<{ address: string; family: number }>>;

export interface PinnedConnectorOptions {
  /** `scheme://host:port` the connector serves, for messages. */
  origin: string;
  internal: boolean;
  /** Resolution, TCP and TLS together. */
  timeoutMs: number;
  lookup: EgressLookup;
  log?: Logger | undefined;
}

/**
 * An undici connector that resolves the host once per connection, refuses the connection
 * if any address is in a range the upstream may not reach, and hands the checked
 * addresses to the socket itself (Node's `lookup` option), so nothing resolves the name a
 * second time between the check and the connect (no DNS rebinding window). TLS still
 * verifies the certificate against the host name (SNI and check use the name, not the IP).
 */
export function pinnedConnector(opts: PinnedConnectorOptions): buildConnector.connector {
  const refuse = (host: string, c: AddressClass) => {
    const allowedWhenInternal = internalMayReach(c.kind);
    const err = new EgressError(
      'EGRESS_ADDRESS_REFUSED',
      `${host} resolves to ${describeClass(c)}: ${
        allowedWhenInternal ? 'allowed only for an upstream configured with internal: true' : 'never allowed'
      }`,
      { range: c.range },
    );
    opts.log?.warn({ origin: opts.origin, kind: c.kind, range: c.range }, 'egress refused a connection to a forbidden address');
    return err;
  };

  const resolveChecked = async (host: string): Promise<LookupAddress[]> => {
    let found: Array<{ address: string; family: number }>;
    try {
      found = await opts.lookup(host);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      const reason = typeof code === 'string' ? code : 'lookup failed';
      throw new EgressError('EGRESS_DNS', `${host} could not be resolved (${reason})`, { reason, cause: err });
    }
    if (found.length === 0) throw new EgressError('EGRESS_DNS', `${host} could not be resolved (no address)`, { reason: 'ENODATA' });
    // One bad address refuses the name: an answer mixing public and private addresses is an attack or a mistake.
    for (const a of found) {
      const verdict = checkAddress(a.address, opts.internal);
      if (!verdict.allowed) throw refuse(host, verdict.class);
    }
    return found.map((a) => ({ address: a.address, family: a.family === 6 || isIP(a.address) === 6 ? 6 : 4 }));
  };

  // Node calls this once per socket, with `all: true` when it may try several addresses.
  const socketLookup = (
    host: string,
    options: { all?: boolean; family?: number | string },
    callback: (err: Error | null, address: string | LookupAddress[], family?: number) => void,
  ) => {
    resolveChecked(host).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = family === 0 ? addresses : addresses.filter((a) => a.family === family);
        if (usable.length === 0) return callback(new EgressError('EGRESS_DNS', `${host} has no IPv${family} address`, { reason: 'ENODATA' }), '');
        if (options.all) return callback(null, usable);
        callback(null, usable[0]!.address, usable[0]!.family);
      },
      (err: Error) => callback(err, ''),
    );
  };

  const connect = buildConnector({ timeout: opts.timeoutMs, lookup: socketLookup as never });

  return (options, callback) => {
    // An IP literal never reaches `lookup`: check it here.
    if (isIP(options.hostname) !== 0) {
      const verdict = checkAddress(options.hostname, opts.internal);
      if (!verdict.allowed) {
        callback(refuse(options.hostname, verdict.class), null);
        return;
      }
    }
    connect(options, callback);
  };
}

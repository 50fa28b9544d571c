/**
 * The gateway's one way out. Every outbound HTTP call (remote MCP upstreams, OpenAPI
 * operations, OAuth token endpoints; later A2A and webhooks) goes through an Egress: only to
 * the origin it was configured with, over connections whose resolved address was checked
 * against the address policy and pinned (threat model B5/B6), with bounded time and bytes.
 *
 * Streaming users (the MCP wires) take a `dispatcher(target)` and keep their own framing and
 * caps; one-shot users call `request(target, req)`.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import type { Logger } from 'pino';
import { Pool, type Dispatcher } from 'undici';
import { EgressError } from './egress-error.js';
import { noteWritten, ON_WRITTEN } from './on-written.js';
import { oneShot, type EgressRequest, type EgressResponse } from './one-shot.js';
import { pinnedConnector, type EgressLookup } from './pinned-connector.js';

export interface EgressTarget {
  /** `http(s)://host[:port]`: the only origin requests may go to. */
  origin: string;
  /** Loopback, private, link-local and metadata addresses allowed (the operator said this upstream is inside). */
  internal: boolean;
  /** Most connections open at once to this origin (default 32). */
  connections?: number;
  /** Resolving, connecting and the TLS handshake together (default 10 s; undici's timer fires up to a second late). */
  connectTimeoutMs?: number;
  /** How long an idle connection is kept (default 4 s; a server's Keep-Alive hint lowers it). */
  keepAliveMs?: number;
}

export interface EgressOptions {
  /** Name resolution (tests inject one); default: the system resolver, every address. */
  lookup?: EgressLookup;
  log?: Logger;
}

const DEFAULT_CONNECTIONS = 32;
const DEFAULT_CONNECT_MS = 10_000;
const DEFAULT_KEEP_ALIVE_MS = 4_000;

const systemLookup: EgressLookup = (host) => dnsLookup(host, { all: true });

export class Egress {
  readonly #lookup: EgressLookup;
  readonly #log: Logger | undefined;
  readonly #pools = new Map<string, OriginPool>();
  #closed = false;

  constructor(opts: EgressOptions = {}) {
    this.#lookup = opts.lookup ?? systemLookup;
    this.#log = opts.log?.child({ component: 'egress' });
  }

  /**
   * A keep-alive pool for one origin, shared by everyone asking for the same target. Its
   * connections resolve the host once each and connect only to checked addresses; a request
   * naming another origin is refused. Never destroy it: Egress owns it (close() does).
   * Throws EGRESS_ORIGIN_REFUSED for anything but an http(s) origin.
   */
  dispatcher(target: EgressTarget): Dispatcher {
    if (this.#closed) throw new EgressError('EGRESS_CONNECT', 'egress is closed');
    const origin = normalizeOrigin(target.origin);
    const connections = target.connections ?? DEFAULT_CONNECTIONS;
    const connectMs = target.connectTimeoutMs ?? DEFAULT_CONNECT_MS;
    const keepAliveMs = target.keepAliveMs ?? DEFAULT_KEEP_ALIVE_MS;
    const key = `${origin} ${target.internal} ${connections} ${connectMs} ${keepAliveMs}`;
    let pool = this.#pools.get(key);
    if (!pool) {
      pool = new OriginPool(origin, {
        connections,
        connect: pinnedConnector({ origin, internal: target.internal, timeoutMs: connectMs, lookup: this.#lookup, log: this.#log }),
        keepAliveTimeout: keepAliveMs,
        // Deadlines belong to the caller (one-shot: its timeouts; MCP: the request's own);
        // undici's defaults would cut long streams short.
        headersTimeout: 0,
        bodyTimeout: 0,
      });
      this.#pools.set(key, pool);
    }
    return pool;
  }

  /**
   * One request, its response read whole (decoded, capped). 3xx responses come back as
   * they are unless `redirects: 'same-origin'`. Rejects with an EgressError, or with the
   * caller's abort reason when `req.signal` aborts.
   */
  request(target: EgressTarget, req: EgressRequest): Promise<EgressResponse> {
    let origin: string;
    let dispatcher: Dispatcher;
    try {
      origin = normalizeOrigin(target.origin);
      dispatcher = this.dispatcher({ ...target, connectTimeoutMs: target.connectTimeoutMs ?? req.timeouts.connectMs });
    } catch (err) {
      return Promise.reject(err);
    }
    return oneShot(dispatcher, origin, req);
  }

  /** Destroys every pool (open requests fail). */
  async close(): Promise<void> {
    this.#closed = true;
    const pools = [...this.#pools.values()];
    this.#pools.clear();
    await Promise.all(pools.map((p) => p.destroy().catch(() => {})));
  }
}

/** `scheme://host:port` of an http(s) URL without credentials, path or query; anything else is refused. */
export function normalizeOrigin(origin: string): string {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    throw new EgressError('EGRESS_ORIGIN_REFUSED', 'the egress origin is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new EgressError('EGRESS_ORIGIN_REFUSED', `only http: and https: origins are allowed (not ${url.protocol})`);
  }
  if (url.username || url.password || url.pathname !== '/' || url.search || url.hash) {
    throw new EgressError('EGRESS_ORIGIN_REFUSED', `an egress origin is scheme://host[:port] only (${url.origin} has more)`);
  }
  return url.origin;
}

/** A Pool that will not send a request that names another origin (undici would send it here anyway, but with that Host). */
class OriginPool extends Pool {
  readonly #origin: string;

  constructor(origin: string, opts: Pool.Options) {
    super(origin, opts);
    this.#origin = origin;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const o = opts.origin;
    if (o !== undefined && o !== null && o !== this.#origin && sameOrigin(o) !== this.#origin) {
      throw new EgressError('EGRESS_ORIGIN_REFUSED', `a request for ${sameOrigin(o) ?? 'another origin'} was sent to the egress pool of ${this.#origin}`);
    }
    const onWritten = (opts as { [ON_WRITTEN]?: () => void })[ON_WRITTEN];
    if (onWritten) noteWritten(handler, onWritten);
    return super.dispatch(opts, handler);
  }
}


function sameOrigin(o: string | URL): string | null {
  try {
    return (typeof o === 'string' ? new URL(o) : o).origin;
  } catch {
    return null;
  }
}

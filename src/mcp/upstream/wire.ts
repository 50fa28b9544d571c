import type { Logger } from 'pino';
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import type { Egress } from '../../egress/egress.js';
import { EgressError } from '../../egress/egress-error.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcPeer, PeerWire } from './peer.js';
import type { ProtocolEra } from './types.js';

/** One connection to an upstream (a process, an HTTP session, an SSE stream). */
export interface UpstreamWire extends PeerWire {
  /** Spawns or connects; resolves once messages can flow. */
  open(): Promise<void>;
  /** After the handshake: what to stamp on outgoing messages (HTTP headers, session stream). */
  negotiated(era: ProtocolEra, protocolVersion: string): void;
  /** Ends the connection; resolves once it is gone. Never calls onClosed. */
  close(): Promise<void>;
}

export interface WireContext {
  config: UpstreamConfig;
  peer: JsonRpcPeer;
  log: Logger;
  /** stdio: the environment; http/sse: the configured headers (secrets resolved). */
  values: Record<string, string>;
  /** Which of those values are secrets: kept out of the log. */
  secrets: readonly string[];
  /** The connection ended by itself (process exit, stream closed). Called at most once. */
  onClosed: (reason: GatewayError) => void;
  /** HTTP: the session expired (404); runs the handshake again. */
  reinitialize: () => Promise<void>;
  /** http/sse: where connections come from (address checks, pinning). */
  egress: Egress;
}

/**
 * A connection-level failure (refused, reset, DNS, an address egress refused): the upstream
 * is unavailable, the reason is the error code only (and egress's own message, written to
 * be shown: it names the host and the refused range, never a path or header).
 */
export function networkError(upstreamId: string, err: unknown): GatewayError {
  const code = (err as { code?: unknown }).code;
  const why = err instanceof EgressError ? `: ${err.message}` : '';
  return new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${upstreamId} could not be reached${why}`, {
    details: { reason: typeof code === 'string' ? code : 'network error' },
    cause: err,
  });
}

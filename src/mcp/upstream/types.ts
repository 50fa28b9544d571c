/**
 * The contract between the gateway's MCP server side (and tool registry) and one upstream
 * MCP server, whatever its transport (stdio, Streamable HTTP, legacy SSE) and protocol era.
 * Implementations hide framing, sessions, era negotiation, id rewriting and byte caps.
 */
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import type { JsonRpcErrorObject, JsonRpcNotification, JsonRpcRequest } from '../jsonrpc.js';

/** `modern`: 2026-07-28 (stateless, server/discover). `legacy`: 2025-11-25 and earlier (initialize, sessions). */
export type ProtocolEra = 'modern' | 'legacy';

export type UpstreamState = 'starting' | 'ready' | 'failed' | 'closed';

export type ListKind = 'tools' | 'prompts' | 'resources' | 'resourceTemplates';

export interface UpstreamRequestOptions {
  /** Aborting cancels the request upstream (notifications/cancelled) and rejects with UPSTREAM_UNAVAILABLE ("cancelled"). */
  signal?: AbortSignal;
  /** Overall deadline; default the upstream's timeouts.callMs. */
  timeoutMs?: number;
  /**
   * Notifications the upstream sent about this request (progress carrying the caller's own
   * progress token, restored; logging messages on the request's stream). Not called after
   * the request settled.
   */
  onNotification?: (n: JsonRpcNotification) => void;
  /**
   * A server-to-client request (sampling/createMessage, elicitation/create, roots/list) the
   * upstream made while serving this request. Resolve with the result object or reject with
   * a GatewayError (sent upstream as a JSON-RPC error). Absent: answered with an error.
   */
  onServerRequest?: (r: JsonRpcRequest) => Promise<Record<string, unknown>>;
  /**
   * Called once the wire has written the request (to the process's input, or to a connection
   * to the server): from then on the upstream may act on it, whatever the outcome. Not called
   * for a request that failed to connect, or was cut short waiting for a connection.
   */
  onDispatched?: () => void;
}

/** The upstream's answer: exactly one of result and error, as the upstream sent them (id already mapped back). */
export interface UpstreamResponse {
  result?: Record<string, unknown>;
  error?: JsonRpcErrorObject;
  /** Bytes of the response message as read (the cap applies to this). */
  bytes: number;
}

export interface SubscribeResponse extends UpstreamResponse {
  /**
   * false: the upstream took the call but will send no updates for the URI (a 2026-07-28
   * acknowledgement that left it out, or a resources/subscribe error).
   */
  honored: boolean;
}

export interface UpstreamInfo {
  era: ProtocolEra;
  protocolVersion: string;
  serverInfo: { name: string; version: string; [k: string]: unknown } | null;
  capabilities: Record<string, unknown>;
  instructions?: string;
}

export interface UpstreamEvents {
  /** The upstream said (notifications/*\/list_changed) or a periodic re-list found that a listing may have changed. */
  listChanged: (kind: 'tools' | 'prompts' | 'resources') => void;
  /** Session-level notifications not tied to one request (resources/updated, logging). */
  notification: (n: JsonRpcNotification) => void;
  state: (state: UpstreamState, info: UpstreamInfo | null) => void;
}

export interface UpstreamClient {
  readonly id: string;
  readonly config: UpstreamConfig;
  readonly state: UpstreamState;
  /** Known once the handshake (initialize or server/discover) completed. */
  readonly info: UpstreamInfo | null;
  /** Connects (spawns, handshakes); resolves when ready, rejects on failure (stdio keeps restarting in the background). */
  start(): Promise<void>;
  close(): Promise<void>;
  /**
   * Sends one request with a fresh upstream id (never the agent's id) and resolves with the
   * upstream's answer. Rejects with a GatewayError: UPSTREAM_TIMEOUT, UPSTREAM_UNAVAILABLE
   * (not connected, crashed mid-call, cancelled), UPSTREAM_BAD_RESPONSE (too large, not JSON-RPC).
   * `params._meta.progressToken` is replaced by an upstream-unique token and restored in
   * the notifications handed to onNotification.
   */
  request(method: string, params: Record<string, unknown> | undefined, opts?: UpstreamRequestOptions): Promise<UpstreamResponse>;
  /**
   * Asks for notifications/resources/updated about one upstream URI (then delivered as the
   * `notification` event). Legacy era: resources/subscribe, the upstream's answer as it is.
   * Modern era: the URI joins the client's subscriptions/listen stream; resolves with an
   * empty result once the upstream acknowledged a stream with it (`honored` says whether
   * the acknowledgement included it). Kept across reconnects until unsubscribeResource.
   * Rejects like request() (not connected, no acknowledgement in time).
   */
  subscribeResource(uri: string, opts?: { signal?: AbortSignal }): Promise<SubscribeResponse>;
  /** Undoes subscribeResource; modern era: resolves at once, the narrower stream opens in the background. */
  unsubscribeResource(uri: string): Promise<UpstreamResponse>;
  /** Every item of a paginated list (tools/list, prompts/list, ...), capped at maxListItems. */
  listAll(kind: ListKind, opts?: { signal?: AbortSignal }): Promise<Record<string, unknown>[]>;
  on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]): () => void;
}

import type { Agent } from '../../catalog/index.js';
import type { AuditSink } from '../../audit/record.js';
import type { McpConfig } from '../../config/mcp-schema.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { McpDirectory } from '../directory-types.js';
import type { JsonRpcErrorObject } from '../jsonrpc.js';
import type { AgentViews } from './agent-views.js';
import type { Responder } from './exchange.js';
import type { InboundMessage } from './inbound.js';
import type { Session, SessionStore } from './sessions.js';
import type { ResourceSubscriptions } from './resource-subscriptions.js';
import type { StreamQuota } from './stream-quota.js';
import type { Subscriptions } from './subscriptions.js';

/** What the chain carries as `ctx.payload` for an MCP POST. */
export interface McpPayload {
  readonly inbound: InboundMessage;
  readonly session: Session | null;
}

export interface McpServerDeps {
  config: McpConfig;
  directory: McpDirectory;
  views: AgentViews;
  sessions: SessionStore;
  subscriptions: Subscriptions;
  resourceSubscriptions: ResourceSubscriptions;
  streams: StreamQuota;
  audit: AuditSink;
  serverInfo: { name: string; version: string };
  instructions?: string;
}

/** Everything one method handler needs. */
export interface CallContext {
  readonly ctx: RequestContext;
  readonly agent: Agent;
  readonly payload: McpPayload;
  readonly params: Record<string, unknown>;
  readonly exchange: Responder;
  readonly deps: McpServerDeps;
}

/** What a method handler produced; the transport renders it for the client's era. */
export type MethodOutcome =
  | { kind: 'result'; result: Record<string, unknown>; details?: Record<string, unknown> }
  /** The upstream answered with a JSON-RPC error: passed on as it is (it is the upstream's answer, not the gateway's). */
  | { kind: 'upstream-error'; error: JsonRpcErrorObject; details?: Record<string, unknown> }
  /** Notifications and responses: 202, no body. */
  | { kind: 'accepted'; details?: Record<string, unknown> }
  /** A long-lived stream is open and stays open after the chain has finished (subscriptions/listen). */
  | { kind: 'streaming'; details?: Record<string, unknown> };

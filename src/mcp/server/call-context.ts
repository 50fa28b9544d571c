import type { Agent } from '../../catalog/index.js';
import type { AuditSink } from '../../audit/record.js';
import type { McpConfig } from '../../config/mcp-schema.js';
import type { RequestContext } from '../../pipeline/context.js';
import type { McpDirectory, ToolView } from '../directory-types.js';
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
  /** Tools of kind 'openapi' are calls of imported operations. */
  openapi?: OpenApiCaller;
}

/** What tools/call needs of the OpenAPI imports (src/openapi/openapi-imports.ts). */
export interface OpenApiCaller {
  /** null when the import or the tool is gone (a reload between listing and calling). */
  call(
    importId: string,
    toolName: string,
    args: Record<string, unknown>,
    signal: AbortSignal,
    visible: (publicName: string) => ToolView | undefined,
  ): Promise<{ result: Record<string, unknown>; details: Record<string, unknown>; sent?: false }> | null;
  /** For a discovery call tool, the public name of the operation the call is aimed at (what the chain must authorize). */
  aimedAt(tool: ToolView | undefined, args: unknown): string | null;
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
  | { kind: 'result'; result: Record<string, unknown>; details?: Record<string, unknown>; sent?: false }
  /** The upstream answered with a JSON-RPC error: passed on as it is (it is the upstream's answer, not the gateway's). */
  | { kind: 'upstream-error'; error: JsonRpcErrorObject; details?: Record<string, unknown> }
  /** Notifications and responses: 202, no body. */
  | { kind: 'accepted'; details?: Record<string, unknown> }
  /** A long-lived stream is open and stays open after the chain has finished (subscriptions/listen). */
  | { kind: 'streaming'; details?: Record<string, unknown> };

/** Audit record shapes shared by the writer, the reader and the policy chain. */

/** `gateway`: agent-facing gateway endpoints such as /v1/whoami; `system`: the gateway's own events (start, reload, checkpoint). */
export const CHANNELS = ['mcp', 'openapi', 'llm', 'a2a', 'gateway', 'admin', 'auth', 'system'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DECISIONS = ['allow', 'deny', 'error'] as const;
export type AuditDecision = (typeof DECISIONS)[number];

/** One policy's step in the decision path of a request. */
export interface DecisionStep {
  policy: string;
  decision: 'allow' | 'modify' | 'deny' | 'error';
  ms: number;
  code?: string;
  reason?: string;
}

/**
 * What a producer hands to the audit store. Never holds secrets or raw payloads:
 * payloads appear only as digests and sizes, redactions only as type → count.
 */
export interface AuditEventInput {
  /** Milliseconds since the epoch. */
  time: number;
  requestId: string;
  traceId?: string | null;
  parentId?: string | null;
  agentId?: string | null;
  keyId?: string | null;
  channel: Channel;
  /** What was attempted, e.g. `whoami`, `tools/call`, `keys.create`, `catalog.reload`. */
  action: string;
  /** What it was aimed at (tool, model, agent, route). */
  target?: string | null;
  decision: AuditDecision;
  /** The policy that decided (the denying one, or `forward` when all allowed). */
  policy?: string | null;
  /** Stable error code when denied or failed. */
  code?: string | null;
  /** Short, safe human reason. */
  reason?: string | null;
  /** Status sent to the client (HTTP status). */
  status?: number | null;
  latencyMs?: number | null;
  tokensIn?: number | null;
  tokensOut?: number | null;
  costUsd?: number | null;
  requestDigest?: string | null;
  responseDigest?: string | null;
  requestBytes?: number | null;
  responseBytes?: number | null;
  redactions?: Record<string, number> | null;
  path?: DecisionStep[] | null;
  /** Small, safe metadata (never secrets or payloads). */
  details?: Record<string, unknown> | null;
}

/** A committed record: the input plus its place in the hash chain. */
export interface AuditRecord extends Required<Omit<AuditEventInput, 'time' | 'requestId' | 'channel' | 'action' | 'decision'>> {
  seq: number;
  time: number;
  requestId: string;
  channel: Channel;
  action: string;
  decision: AuditDecision;
  prevHash: string;
  hash: string;
}

/**
 * The request path's view of the audit store. `append` resolves with the record's
 * sequence number once its group commit has landed; it rejects with a GatewayError
 * AUDIT_UNAVAILABLE when the record cannot be committed within the wait. In that case the
 * pending record is amended to say the client got 503 AUDIT_UNAVAILABLE, so the trail
 * never claims an answer that was not given.
 */
export interface AuditSink {
  append(event: AuditEventInput): Promise<number>;
  /** False while the store cannot commit (locked, deleted, full): governed requests fail closed. */
  healthy(): boolean;
  /** Why it is unhealthy, for logs and /readyz. */
  problem(): string | null;
  /** Resolves when everything queued so far has committed (or failed). */
  flush(): Promise<void>;
  /** Flushes, writes a final checkpoint and closes. */
  close(): Promise<void>;
}

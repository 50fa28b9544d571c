import type { Logger } from 'pino';
import type { Channel } from '../audit/record.js';
import type { Agent, Catalog } from '../catalog/index.js';
import type { HopChain } from '../loops/hop-chain.js';
import type { RequestAbort } from './request-abort.js';
import { merged } from '../util/merged.js';

/** Who is calling, once `authenticate` has run. */
export type Principal =
  | { kind: 'agent'; agentId: string; keyId: string; agent: Agent }
  | { kind: 'admin'; tokenId: 'admin' };

/** A credential as presented (never logged, never audited). */
export interface PresentedCredential {
  scheme: 'bearer' | 'x-api-key';
  value: string;
}

/**
 * Everything the policies may read about one request. Surfaces (HTTP, MCP, LLM, A2A) build
 * it; policies never mutate it: they return patches that the chain applies and records.
 */
export interface RequestContext {
  readonly requestId: string;
  /** Wall-clock receive time, ms since the epoch. */
  readonly receivedAt: number;
  /** Monotonic start, from performance.now(). */
  readonly startedAt: number;
  readonly channel: Channel;
  /** What is being attempted, e.g. `whoami`, `keys.create`, `tools/call`. */
  readonly action: string;
  /** What it is aimed at (agent id, tool, model), if anything. */
  readonly target: string | null;
  readonly traceId: string;
  readonly parentId: string | null;
  /** Agents whose calls led to this request (trace context), for loop detection and outbound stamping. */
  readonly hops: HopChain;
  readonly credential: PresentedCredential | null;
  /** The catalog snapshot this request sees from start to end (atomic reloads). */
  readonly catalog: Catalog;
  readonly payload: unknown;
  readonly requestBytes: number;
  readonly requestDigest: string | null;
  /**
   * Aborted when the client goes away or the surface cancels the request (MCP
   * notifications/cancelled); `abort.signal` is a real AbortSignal for APIs that need one.
   */
  readonly abort: RequestAbort;
  readonly log: Logger;
  readonly principal: Principal | null;
  readonly annotations: Readonly<Record<string, unknown>>;
}

/** What an `allow` decision may change. Applied by the chain, so every change is recorded. */
export interface ContextPatch {
  principal?: Principal;
  payload?: unknown;
  target?: string | null;
  annotations?: Record<string, unknown>;
}

/** A context with writable keys, for the chain to change before it continues with the copy. */
export type ContextCopy = { -readonly [K in keyof RequestContext]: RequestContext[K] };

/**
 * A shallow copy to write keys of. Only keys the context already has are written to it (a
 * spread followed by new keys is what util/merged.ts warns about); requestContext sets every key.
 */
export function copyContext(ctx: RequestContext): ContextCopy {
  return { ...ctx };
}

export function applyPatch(ctx: RequestContext, patch: ContextPatch): RequestContext {
  // One copy per patch (this runs for several policies on every request).
  const next = copyContext(ctx);
  if (patch.principal !== undefined) next.principal = patch.principal;
  if (patch.payload !== undefined) next.payload = patch.payload;
  if (patch.target !== undefined) next.target = patch.target;
  if (patch.annotations !== undefined) next.annotations = merged(ctx.annotations, patch.annotations);
  return next;
}

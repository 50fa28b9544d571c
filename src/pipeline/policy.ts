import { GatewayError } from '../errors/gateway-error.js';
import type { ContextPatch, RequestContext } from './context.js';

/** How a request ended, handed to reservations when they settle. */
export interface Outcome {
  ok: boolean;
  status: number;
  /** True once the forward step ran: the upstream may have done (and billed) the work even if a later step failed. */
  forwarded: boolean;
  /** Usage the forward step reported, kept even when a later step denied (the work was done). */
  usage?: Usage;
}

export interface Usage {
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
}

/**
 * Something a policy holds for the request (a quota slot, a budget reservation). The chain
 * calls `settle` exactly once, whatever happens later in the chain.
 */
export interface Reservation {
  settle(outcome: Outcome): void;
}

/** Reads the request body for the policies that need it; throws a GatewayError when it cannot. */
export type LoadPayload = (ctx: RequestContext) => Promise<LoadedPayload>;

/** What a LoadPayload learned about a body it then refused (its size, digest, the target it names). */
export type PayloadSeen = Omit<LoadedPayload, 'payload'>;

const seenOf = new WeakMap<GatewayError, PayloadSeen>();

/**
 * A refusal of a body that was read whole: the audit record still says how large it was and
 * what it named, as it does for a body a policy refused.
 */
export function refusedPayload(err: unknown, seen: PayloadSeen): unknown {
  if (err instanceof GatewayError) seenOf.set(err, seen);
  return err;
}

export function payloadSeen(err: unknown): PayloadSeen | undefined {
  return err instanceof GatewayError ? seenOf.get(err) : undefined;
}

export interface LoadedPayload {
  payload: unknown;
  bytes: number;
  digest: string | null;
  /** Surfaces whose action and target live in the body (an MCP JSON-RPC method and tool name) name them here. */
  action?: string;
  target?: string | null;
}

export type Decision =
  | { kind: 'allow'; patch?: ContextPatch; reason?: string; reservation?: Reservation }
  | {
      kind: 'deny';
      error: GatewayError;
      reason?: string;
      /** Facts for the audit record only (e.g. the key id of a refused key). */
      annotations?: Record<string, unknown>;
    };

/** What the forward step produced (surface-specific body). */
export interface ForwardResult<T = unknown> {
  status: number;
  body: T;
  responseBytes?: number;
  responseDigest?: string;
  usage?: Usage;
  /** Safe metadata for the audit record. */
  details?: Record<string, unknown>;
  /** The agent (and key) an admin action concerned, for the audit record's agent/key columns. */
  subject?: { agentId?: string; keyId?: string };
  /** Short, safe reason for an allowed action (e.g. the suspension reason an admin gave). */
  reason?: string;
  /** false: the gateway answered without calling any upstream (arguments that failed a check), so there is nothing to charge. */
  sent?: false;
}

/**
 * A policy: a named value made by a factory. Hooks return decisions; they never write the
 * response and never mutate the context. A hook that throws denies (fail closed).
 */
export interface Policy {
  /** Stable kebab-case id, written to logs and the audit decision path. */
  readonly name: string;
  /**
   * `headers`: decides from the request line and headers alone, so it runs before the body
   * is read (an anonymous client never gets its body buffered or parsed). `payload`
   * (default): runs after. Header policies must come first in the chain.
   */
  readonly phase?: 'headers' | 'payload';
  request?(ctx: RequestContext): Decision | Promise<Decision>;
  response?(ctx: RequestContext, result: ForwardResult): Decision | Promise<Decision>;
}

export const allow = (reason?: string): Decision => (reason === undefined ? { kind: 'allow' } : { kind: 'allow', reason });
export const deny = (error: GatewayError, reason?: string): Decision =>
  reason === undefined ? { kind: 'deny', error } : { kind: 'deny', error, reason };

/**
 * Thrown by a forward step that failed after the upstream did (and may have billed) work: a
 * stream that broke or whose client went away. The chain answers with `error` but records
 * and settles the partial usage, sizes and details as the request's own.
 */
export class ForwardFailure extends Error {
  readonly error: GatewayError;
  readonly partial: Omit<ForwardResult, 'status' | 'body'>;

  constructor(error: GatewayError, partial: Omit<ForwardResult, 'status' | 'body'>) {
    super(error.message);
    this.name = 'ForwardFailure';
    this.error = error;
    this.partial = partial;
  }
}

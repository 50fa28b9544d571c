/**
 * The chain of agents a request travelled through, carried in W3C trace context: the
 * `warden` entry of `tracestate` lists the agents whose calls led here, oldest first
 * (`warden=planner.researcher`). The gateway reads it from every request and stamps it,
 * with the calling agent appended, on everything it sends upstream, so an agent that calls
 * back through the gateway (an MCP server that is itself an agent, an A2A peer) carries it.
 */
import { randomFillSync } from 'node:crypto';

const KEY = 'warden';
/** tracestate values are at most 256 characters (W3C Trace Context, section 3.3.1). */
const MAX_VALUE = 256;
const HOP = /^[a-z][a-z0-9-]{0,62}$/;

export interface HopChain {
  /** Agents before this one, oldest first. */
  readonly hops: readonly string[];
  /** The chain did not fit in tracestate: it is longer than any sane depth limit. */
  readonly overflow: boolean;
  /** Other vendors' tracestate members, passed on unchanged (W3C: at most 31 besides ours). */
  readonly others?: readonly string[];
}

export const NO_HOPS: HopChain = Object.freeze({ hops: Object.freeze([]), overflow: false });

/** Members a tracestate may carry (W3C Trace Context, section 3.3.1.1). */
const MAX_MEMBERS = 32;
const MEMBER = /^[a-z0-9][_0-9a-z\-*/@]{0,255}=[ -+--<>-~]{0,255}[!-+--<>-~]$/;

/** The chain in a `tracestate` header value, and the other vendors' members to pass on. */
export function parseHopChain(tracestate: string | undefined): HopChain {
  if (!tracestate) return NO_HOPS;
  let hops: string[] = [];
  let overflow = false;
  const others: string[] = [];
  for (const raw of tracestate.split(',')) {
    const member = raw.trim();
    const eq = member.indexOf('=');
    if (eq < 0) continue;
    if (member.slice(0, eq) !== KEY) {
      if (MEMBER.test(member) && others.length < MAX_MEMBERS - 1) others.push(member);
      continue;
    }
    const value = member.slice(eq + 1).trim();
    if (value === '~') overflow = true;
    else hops = value.split('.').filter((h) => HOP.test(h));
  }
  if (hops.length === 0 && !overflow && others.length === 0) return NO_HOPS;
  return { hops, overflow, ...(others.length > 0 ? { others } : {}) };
}

/** Span ids come from a pool of random bytes refilled 512 ids at a time: one randomBytes call per request cost more than the rest of this. */
const pool = Buffer.alloc(8 * 512);
let next = pool.length;

function spanId(): string {
  if (next >= pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  const id = pool.toString('hex', next, next + 8);
  next += 8;
  // All zeros is an invalid span id (W3C); a pool that produced one simply moves on.
  return id === '0000000000000000' ? spanId() : id;
}

/**
 * The trace headers for a call made on behalf of `agentId`: a new span of the same trace,
 * the chain one hop longer, first (the W3C rule for an updated member), then the others.
 */
export function outboundTrace(traceId: string, chain: HopChain, agentId: string): { traceparent: string; tracestate: string } {
  const hops = [...chain.hops, agentId].join('.');
  // `~` marks a chain too long to carry: the next gateway treats it as past any depth limit.
  const value = chain.overflow || hops.length > MAX_VALUE ? '~' : hops;
  const tracestate = [`${KEY}=${value}`, ...(chain.others ?? [])].join(',');
  return { traceparent: `00-${traceId}-${spanId()}-01`, tracestate };
}

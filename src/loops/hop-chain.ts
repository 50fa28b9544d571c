/**
 * The chain of agents a request travelled through, carried in W3C trace context: the
 * `warden` entry of `tracestate` lists the agents whose calls led here, oldest first
 * (`warden=planner.researcher`). The gateway reads it from every request and stamps it,
 * with the calling agent appended, on everything it sends upstream, so an agent that calls
 * back through the gateway (an MCP server that is itself an agent, an A2A peer) carries it.
 */
import { randomBytes } from 'node:crypto';

const KEY = 'warden';
/** tracestate values are at most 256 characters (W3C Trace Context, section 3.3.1). */
const MAX_VALUE = 256;
const HOP = /^[a-z][a-z0-9-]{0,62}$/;

export interface HopChain {
  /** Agents before this one, oldest first. */
  readonly hops: readonly string[];
  /** The chain did not fit in tracestate: it is longer than any sane depth limit. */
  readonly overflow: boolean;
}

export const NO_HOPS: HopChain = Object.freeze({ hops: Object.freeze([]), overflow: false });

/** The chain in a `tracestate` header value (other vendors' entries are ignored). */
export function parseHopChain(tracestate: string | undefined): HopChain {
  if (!tracestate) return NO_HOPS;
  for (const member of tracestate.split(',')) {
    const eq = member.indexOf('=');
    if (eq < 0 || member.slice(0, eq).trim() !== KEY) continue;
    const value = member.slice(eq + 1).trim();
    if (value === '~') return { hops: [], overflow: true };
    const hops = value.split('.').filter((h) => HOP.test(h));
    return { hops, overflow: false };
  }
  return NO_HOPS;
}

/** The trace headers for a call made on behalf of `agentId`: a new span of the same trace, the chain one hop longer. */
export function outboundTrace(traceId: string, chain: HopChain, agentId: string): { traceparent: string; tracestate: string } {
  const hops = [...chain.hops, agentId].join('.');
  // `~` marks a chain too long to carry: the next gateway treats it as past any depth limit.
  const value = chain.overflow || hops.length > MAX_VALUE ? '~' : hops;
  return { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`, tracestate: `${KEY}=${value}` };
}

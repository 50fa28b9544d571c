import type { RequestContext } from './context.js';

/** What a governed request spends: an LLM call, a tool call, or an A2A message. */
export type CallKind = 'llm' | 'tool' | 'a2a';

const LLM_ACTIONS = new Set(['chat.completions', 'responses', 'embeddings']);
/** MCP methods that do work at an upstream; listing, discovery, pings and notifications do not. */
const MCP_CALLS: Readonly<Record<string, CallKind>> = {
  'tools/call': 'tool',
  'resources/read': 'tool',
  'prompts/get': 'tool',
  'completion/complete': 'tool',
};

/**
 * The kind of call a request is, for rate limits, budgets and loop detection, or null for
 * protocol housekeeping (MCP initialize and listings, GET /v1/models, admin, whoami), which
 * is neither limited nor charged.
 */
export function callKind(ctx: RequestContext): CallKind | null {
  switch (ctx.channel) {
    case 'llm':
      return LLM_ACTIONS.has(ctx.action) ? 'llm' : null;
    case 'mcp':
      return Object.hasOwn(MCP_CALLS, ctx.action) ? MCP_CALLS[ctx.action]! : null;
    case 'a2a':
      return ctx.action === 'message/send' || ctx.action === 'message/stream' ? 'a2a' : null;
    default:
      return null;
  }
}

/** The annotation authorize-target leaves when a call's target has another name in the catalog's terms. */
export const GOVERNED_AS = 'target.governedAs';

/**
 * The name per-tool rate limits, tool costs and loop detection know a call by: the tool,
 * model or prompt it names, or for a resource (or a completion of one) the name it was
 * authorized under, so another spelling of the same URI is the same call and `fake__*`
 * globs reach resources as they reach tools.
 */
export function governedName(ctx: RequestContext): string | null {
  return (ctx.annotations[GOVERNED_AS] as string | undefined) ?? ctx.target;
}

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

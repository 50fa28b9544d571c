/** tools/list (this agent's approved, permitted tools) and tools/call (governed, forwarded). */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import { forwardToUpstream } from '../forward.js';
import { publicizeToolResult } from '../result-uris.js';

export function listTools(c: CallContext): MethodOutcome {
  const listing = c.deps.views.listing(c.agent);
  return { kind: 'result', result: { tools: listing.tools.map((t) => t.definition) }, details: { count: listing.tools.length } };
}

export async function callTool(c: CallContext): Promise<MethodOutcome> {
  const name = c.params.name;
  if (typeof name !== 'string') throw new GatewayError('INVALID_PARAMS', 'params.name must be a string');
  // authorize-target already decided on this same name; re-read the entry in case it changed since.
  const tool = c.deps.views.visibleTool(c.agent, name);
  if (!tool) throw new GatewayError('TOOL_NOT_FOUND', `Unknown tool: ${String(name).slice(0, 200)}`);
  if (tool.status !== 'approved') throw new GatewayError('TOOL_QUARANTINED', `Tool ${tool.name} is quarantined pending approval`);
  const args = c.params.arguments;
  if (args !== undefined && (args === null || typeof args !== 'object' || Array.isArray(args))) {
    throw new GatewayError('INVALID_PARAMS', 'arguments must be an object');
  }
  if (tool.kind === 'openapi') {
    const visible = (publicName: string) => c.deps.views.visibleTool(c.agent, publicName);
    const pending = c.deps.openapi?.call(tool.upstream, tool.upstreamName, (args ?? {}) as Record<string, unknown>, c.ctx.abort.signal, visible);
    if (!pending) throw new GatewayError('UPSTREAM_UNAVAILABLE', `The API behind ${tool.name} is not loaded`, { headers: { 'retry-after': '5' } });
    const done = await pending;
    return { kind: 'result', result: done.result, details: { ...done.details, toolHash: tool.hash, risk: tool.risk }, ...(done.sent === false ? { sent: false } : {}) };
  }
  const out = await forwardToUpstream(c, tool.upstream, 'tools/call', { ...c.params, name: tool.upstreamName }, {
    tool: tool.upstreamName,
    toolHash: tool.hash,
    risk: tool.risk,
  });
  if (out.kind === 'result') publicizeToolResult(out.result, tool.upstream, c.deps.directory.uris);
  return out;
}

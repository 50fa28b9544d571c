/** A gateway workspace with MCP upstreams and agents, written for one test file. */
import { join } from 'node:path';
import { REPO, makeWorkspace, writeFile, type Workspace } from './gateway-process.js';

export const EVERYTHING = join(REPO, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

export interface AgentDecl {
  id: string;
  tools?: { allow: string[]; deny?: string[]; riskClasses?: { allow?: string[]; deny?: string[] } };
}

export function agentYaml(a: AgentDecl): string {
  const lines = [
    'schemaVersion: 1',
    `id: ${a.id}`,
    `displayName: ${a.id}`,
    'owner: team-test',
    'description: test agent',
  ];
  if (a.tools) lines.push(`tools: ${JSON.stringify(a.tools)}`);
  return lines.join('\n') + '\n';
}

/**
 * These gateways test MCP and OpenAPI behaviour, not load shedding (lifecycle and overload
 * tests do): on a 2-core CI machine running several gateways and upstream processes at once,
 * one event-loop stall would otherwise turn a call into 503 OVERLOADED. `extra` may set its own.
 */
const NO_LAG_SHEDDING = 'limits: { maxEventLoopDelayMs: 5000 }\n';

export function mcpWorkspace(opts: { upstreams: unknown[]; agents: AgentDecl[]; extra?: string; mcp?: Record<string, unknown> }): Workspace {
  const extra = opts.extra ?? '';
  const limits = /^limits:/m.test(extra) ? '' : NO_LAG_SHEDDING;
  const ws = makeWorkspace({ catalogFrom: null, config: `mcp: ${JSON.stringify({ ...opts.mcp, upstreams: opts.upstreams })}\n${limits}${extra}` });
  for (const a of opts.agents) writeFile(join(ws.catalogDir, `${a.id}.yaml`), agentYaml(a));
  return ws;
}

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

export function mcpWorkspace(opts: { upstreams: unknown[]; agents: AgentDecl[]; extra?: string; mcp?: Record<string, unknown> }): Workspace {
  const ws = makeWorkspace({ catalogFrom: null, config: `mcp: ${JSON.stringify({ ...opts.mcp, upstreams: opts.upstreams })}\n${opts.extra ?? ''}` });
  for (const a of opts.agents) writeFile(join(ws.catalogDir, `${a.id}.yaml`), agentYaml(a));
  return ws;
}

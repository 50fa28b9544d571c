/** A real gateway in front of server-everything (stdio, tools auto-approved), with one key per agent. */
import type { Client } from '@modelcontextprotocol/client';
import { createKey, startGateway, type RunningGateway, type Workspace } from './gateway-process.js';
import { EVERYTHING, mcpWorkspace } from './mcp-workspace.js';

export interface EverythingGateway {
  gw: RunningGateway;
  ws: Workspace;
  /** An agent key by agent id; every agent may see every tool. */
  keys: Record<string, string>;
  stop(): Promise<void>;
}

export async function startEverythingGateway(agentIds: string[]): Promise<EverythingGateway> {
  const ws = mcpWorkspace({
    upstreams: [{ id: 'every', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], autoApprove: true }],
    agents: agentIds.map((id) => ({ id, tools: { allow: ['*'] } })),
  });
  const gw = await startGateway(ws);
  const keys: Record<string, string> = {};
  for (const id of agentIds) keys[id] = (await createKey(ws, id)).key;
  return {
    gw,
    ws,
    keys,
    async stop() {
      await gw.stop();
      ws.cleanup();
    },
  };
}

/**
 * Calls server-everything's long-running tool (three steps) and returns the progress values
 * the client saw. The last one may be missing: the SDK client dispatches notifications a
 * microtask late but responses at once, so a final progress that reaches it in the same read
 * as the result finds its handler already gone. Assert on the first two.
 */
export async function progressOfLongCall(client: Client): Promise<number[]> {
  const progress: number[] = [];
  const r = await client.callTool(
    { name: 'every__trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } },
    { onprogress: (p) => void progress.push(p.progress) },
  );
  if (r.isError) throw new Error(`the long-running call failed: ${JSON.stringify(r.content)}`);
  return progress;
}

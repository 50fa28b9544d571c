/** A real gateway process in front of fake OpenAI-compatible providers, driven by the real `openai` client. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import OpenAI from 'openai';
import { createKey, makeWorkspace, startGateway, writeFile, type RunningGateway, type Workspace } from '../helpers/gateway-process.js';
import { startFakeOpenAi, type FakeOpenAi } from '../helpers/fake-openai.js';

export interface LlmAgent {
  id: string;
  models?: { allow: string[]; deny?: string[]; defaultModel?: string; cache?: { ttlSeconds: number; scope?: string } };
  tags?: string[];
  owner?: string;
  extra?: string;
}

export interface LlmEnv {
  ws: Workspace;
  gw: RunningGateway;
  fakes: FakeOpenAi[];
  keys: Record<string, string>;
  client(agentId: string, opts?: Partial<ConstructorParameters<typeof OpenAI>[0]>): OpenAI;
  /** LLM audit rows, oldest first, with details parsed. */
  audit(where?: string): AuditRow[];
  stop(): Promise<void>;
}

export interface AuditRow {
  seq: number;
  agent_id: string | null;
  action: string;
  target: string | null;
  decision: string;
  code: string | null;
  status: number | null;
  tokens_in: number | null;
  tokens_out: number | null;
  cost_usd: number | null;
  request_bytes: number | null;
  request_digest: string | null;
  details: Record<string, any> | null;
  policy: string | null;
}

function agentYaml(a: LlmAgent): string {
  const lines = ['schemaVersion: 1', `id: ${a.id}`, `displayName: ${a.id}`, `owner: ${a.owner ?? 'team-test'}`];
  if (a.tags) lines.push(`tags: ${JSON.stringify(a.tags)}`);
  if (a.models) lines.push(`models: ${JSON.stringify(a.models)}`);
  if (a.extra) lines.push(a.extra);
  return lines.join('\n') + '\n';
}

/**
 * `llm(fakes)` returns the `llm:` section given the fakes' URLs. Providers should set
 * `internal: true`: the fakes listen on loopback.
 */
export async function startLlmEnv(opts: { fakes?: number; llm: (fakes: FakeOpenAi[]) => object; agents: LlmAgent[]; extra?: string; limits?: string; env?: NodeJS.ProcessEnv }): Promise<LlmEnv> {
  const fakes = await Promise.all(Array.from({ length: opts.fakes ?? 1 }, () => startFakeOpenAi()));
  const ws = makeWorkspace({
    catalogFrom: null,
    config: `llm: ${JSON.stringify(opts.llm(fakes))}\nlimits: { maxEventLoopDelayMs: 5000${opts.limits ? `, ${opts.limits}` : ''} }\n${opts.extra ?? ''}`,
  });
  for (const a of opts.agents) writeFile(join(ws.catalogDir, `${a.id}.yaml`), agentYaml(a));
  const gw = await startGateway(ws, opts.env ?? {});
  const keys: Record<string, string> = {};
  for (const a of opts.agents) keys[a.id] = (await createKey(ws, a.id)).key;
  const db = () => new Database(join(ws.dataDir, 'audit.db'), { readonly: true, fileMustExist: true });
  const out: LlmEnv = {
    ws,
    gw,
    fakes,
    keys,
    // out.gw, not gw: a test may restart the gateway (on a new port).
    client: (agentId, o = {}) => new OpenAI({ apiKey: keys[agentId]!, baseURL: `${out.gw.url}/v1`, maxRetries: 0, timeout: 10_000, ...o }),
    audit(where = "channel = 'llm'") {
      const d = db();
      try {
        const rows = d.prepare(`SELECT * FROM audit_events WHERE ${where} ORDER BY seq`).all() as Array<AuditRow & { details: string | null }>;
        return rows.map((r) => ({ ...r, details: r.details ? (JSON.parse(r.details) as Record<string, any>) : null }));
      } finally {
        d.close();
      }
    },
    async stop() {
      await out.gw.stop();
      await Promise.all(fakes.map((f) => f.close()));
      ws.cleanup();
    },
  };
  return out;
}

/** A provider block for a fake: its models as chat models (OpenAI encodings from their names). */
export function fakeProvider(id: string, fake: FakeOpenAi, models: Array<string | Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    id,
    baseUrl: fake.url,
    internal: true,
    apiKey: { env: `KEY_${id.toUpperCase().replace(/-/g, '_')}` },
    models: models.map((m) => (typeof m === 'string' ? { name: m } : m)),
    ...extra,
  };
}

export function readLogs(gw: RunningGateway): string {
  return gw.logs.join('\n');
}

export { readFileSync };

/** The `mcp:` line of a config with server-everything over stdio, every tool auto-approved and read-only. */
export function everythingUpstream(): string {
  return `mcp: ${JSON.stringify({
    upstreams: [
      {
        id: 'everything',
        transport: 'stdio',
        command: process.execPath,
        args: [join(process.cwd(), 'node_modules/@modelcontextprotocol/server-everything/dist/index.js'), 'stdio'],
        autoApprove: true,
        risk: [{ match: '*', class: 'read-only' }],
      },
    ],
  })}\n`;
}

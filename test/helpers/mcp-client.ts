/** Real MCP SDK (v2) clients pointed at a running gateway with an agent key. */
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';

export type Era = 'modern' | 'legacy';

export async function connectClient(url: string, key: string, era: Era, opts: { capabilities?: Record<string, unknown>; name?: string } = {}): Promise<Client> {
  const client = new Client(
    { name: opts.name ?? `test-${era}`, version: '1.0.0' },
    {
      capabilities: opts.capabilities ?? {},
      versionNegotiation: { mode: era === 'modern' ? { pin: '2026-07-28' } : 'legacy' },
    },
  );
  const transport = new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  await client.connect(transport);
  return client;
}

/** Polls tools/list until `predicate` holds (upstreams connect in the background). */
export async function waitForTools(client: Client, predicate: (names: string[]) => boolean, timeoutMs = 15_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let names: string[] = [];
  while (Date.now() < deadline) {
    names = (await client.listTools()).tools.map((t) => t.name);
    if (predicate(names)) return names;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tools never matched; last listing: ${names.join(', ')}`);
}

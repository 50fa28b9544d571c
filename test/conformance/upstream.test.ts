import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawPost } from './raw-post.js';

const UPSTREAM = fileURLToPath(new URL('./upstream.mjs', import.meta.url));

let proc: ChildProcess;
let url: string;

beforeAll(async () => {
  proc = spawn(process.execPath, [UPSTREAM, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: proc.stdout! });
  const [line] = (await once(lines, 'line')) as [string];
  url = (JSON.parse(line) as { url: string }).url;
});

afterAll(async () => {
  if (proc.exitCode === null) {
    proc.kill('SIGTERM');
    await once(proc, 'exit');
  }
});

type Era = 'legacy' | 'modern';

async function connect(era: Era): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> {
  const client = new Client(
    { name: `upstream-test-${era}`, version: '1.0.0' },
    {
      capabilities: { sampling: {}, elicitation: { form: {} } },
      ...(era === 'modern' ? { versionNegotiation: { mode: { pin: '2026-07-28' } } } : {}),
    },
  );
  client.setRequestHandler('sampling/createMessage', async () => ({
    role: 'assistant',
    content: { type: 'text', text: 'sampled answer' },
    model: 'test-model',
    stopReason: 'endTurn',
  }));
  client.setRequestHandler('elicitation/create', async () => ({ action: 'accept', content: { username: 'ada', email: 'ada@example.com' } }));
  const transport = new StreamableHTTPClientTransport(new URL(url));
  await client.connect(transport);
  return { client, transport };
}

function firstText(result: { content?: unknown }): string {
  const block = (result.content as Array<{ type: string; text?: string }>)[0];
  return block?.type === 'text' ? (block.text ?? '') : '';
}

describe.each<Era>(['legacy', 'modern'])('conformance upstream, %s era client', (era) => {
  it('negotiates the expected revision (a session only in the 2025 era)', async () => {
    const { client, transport } = await connect(era);
    expect(client.getNegotiatedProtocolVersion()).toBe(era === 'modern' ? '2026-07-28' : '2025-11-25');
    expect(transport.sessionId === undefined).toBe(era === 'modern');
    await client.close();
  });

  it('gets sampling and elicitation answers from the client inside a tool call', async () => {
    const { client } = await connect(era);
    expect(firstText(await client.callTool({ name: 'test_sampling', arguments: { prompt: 'hi' } }))).toBe('LLM response: sampled answer');
    expect(firstText(await client.callTool({ name: 'test_elicitation', arguments: { message: 'who?' } }))).toBe(
      'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
    );
    await client.close();
  });

  it('streams three increasing progress notifications before the result', async () => {
    const { client } = await connect(era);
    const progress: number[] = [];
    await client.callTool({ name: 'test_tool_with_progress', arguments: {} }, { onprogress: (p) => progress.push(p.progress) });
    expect(progress).toEqual([0, 50, 100]);
    await client.close();
  });

  it('serves the prompts, resources and completions the suite reads', async () => {
    const { client } = await connect(era);
    const prompt = await client.getPrompt({ name: 'test_prompt_with_arguments', arguments: { arg1: 'a', arg2: 'b' } });
    expect(JSON.stringify(prompt.messages)).toContain("arg1='a', arg2='b'");
    const read = await client.readResource({ uri: 'test://template/42/data' });
    expect(read.contents[0]).toMatchObject({ uri: 'test://template/42/data', mimeType: 'application/json' });
    const done = await client.complete({ ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' }, argument: { name: 'arg1', value: 'par' } });
    expect(done.completion.values).toEqual(['paris', 'park', 'party']);
    await client.close();
  });
});

describe('conformance upstream, 2025 era only', () => {
  it('sends the tool log messages at or above the level the session set', async () => {
    const { client } = await connect('legacy');
    const logs: unknown[] = [];
    client.setNotificationHandler('notifications/message', (n) => void logs.push(n.params.data));
    await client.setLoggingLevel('info');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(logs).toEqual(['Tool execution started', 'Tool processing data', 'Tool execution completed']);
    await client.setLoggingLevel('error');
    await client.callTool({ name: 'test_tool_with_logging', arguments: {} });
    expect(logs).toHaveLength(3);
    await client.close();
  });

  it('accepts resources/subscribe and unsubscribe', async () => {
    const { client } = await connect('legacy');
    await expect(client.subscribeResource({ uri: 'test://watched-resource' })).resolves.toEqual({});
    await expect(client.unsubscribeResource({ uri: 'test://watched-resource' })).resolves.toEqual({});
    await client.close();
  });
});

describe('conformance upstream, DNS-rebinding protection', () => {
  const initialize = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } },
  });
  const post = (headers: Record<string, string>) =>
    rawPost(url, { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, initialize);

  it('refuses a foreign Host, and a foreign Origin on its own Host', async () => {
    const own = new URL(url).host;
    expect((await post({ host: 'evil.example.com' })).status).toBe(403);
    expect((await post({ host: own, origin: 'http://evil.example.com' })).status).toBe(403);
  });

  it('accepts its own Host and Origin', async () => {
    const own = new URL(url).host;
    expect((await post({ host: own, origin: `http://${own}` })).status).toBe(200);
  });
});

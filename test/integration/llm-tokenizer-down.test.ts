/**
 * The LLM proxy when exact token counts are impossible (the tokenizer thread cannot start):
 * past the policies, the byte bound stands in for the count instead of failing the request
 * or losing what it costs. A real gateway process, whose tokenizer worker is replaced by one
 * that exits at once (a preload loaded with --import, as a broken install would behave).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-tokenizer-down-'));
const broken = join(dir, 'broken-worker.mjs');
const preload = join(dir, 'break-tokenizer.mjs');
writeFileSync(broken, 'process.exit(7);\n');
writeFileSync(
  preload,
  `import { createRequire, syncBuiltinESMExports } from 'node:module';
const wt = createRequire(import.meta.url)('node:worker_threads');
const Original = wt.Worker;
wt.Worker = class extends Original {
  constructor(url, opts) {
    super(String(url).includes('tokenizer-worker') ? new URL(${JSON.stringify(pathToFileURL(broken).href)}) : url, opts);
  }
};
syncBuiltinESMExports();
`,
);

let env: LlmEnv;
beforeAll(async () => {
  env = await startLlmEnv({
    fakes: 2,
    llm: ([a, b]) => ({
      providers: [
        fakeProvider('primary', a!, ['gpt-4o'], { timeouts: { firstByteMs: 3000, idleMs: 3000, totalMs: 6000 } }),
        fakeProvider('backup', b!, [{ name: 'gpt-4.1-mini@backup', upstreamName: 'gpt-4.1-mini' }]),
      ],
      aliases: { 'short-or-long': { targets: [{ model: 'gpt-4o' }], rules: [{ when: { maxPromptTokens: 50 }, targets: [{ model: 'gpt-4.1-mini@backup' }] }] } },
    }),
    agents: [{ id: 'agent', models: { allow: ['*'] } }, { id: 'limited', models: { allow: ['*'] }, extra: 'rateLimits: { tokensPerMinute: 60 }' }],
    env: { KEY_PRIMARY: 'sk-primary', KEY_BACKUP: 'sk-backup', NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` },
  });
});
afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('with the tokenizer thread down', () => {
  it('routes by the byte bound when a prompt-size rule needs the exact count', async () => {
    // 41 bytes of text: the bound (61 tokens) is over the rule's 50, the exact count (14) under.
    const messages = [{ role: 'user' as const, content: 'hello hello hello hello hello hello hello' }];
    const { response } = await env.client('agent').chat.completions.create({ model: 'short-or-long', messages }).withResponse();
    expect(response.status).toBe(200);
    // The bound does not fit the rule, so the alias's own target serves it.
    expect(response.headers.get('x-warden-model')).toBe('gpt-4o');
  });

  it('refuses, failing closed, a request whose token limit only an exact count could allow', async () => {
    // Bound 61 + 5 output tokens is over 60 a minute; exactly, 14 + 5 would fit.
    const messages = [{ role: 'user' as const, content: 'hello hello hello hello hello hello hello' }];
    const before = env.fakes[0]!.requests.length;
    const err = await env.client('limited', { maxRetries: 0 }).chat.completions.create({ model: 'gpt-4o', messages, max_tokens: 5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    // Retryable: only the bound said no, and the count may be back in a moment.
    expect((err as { status?: number }).status).toBe(503);
    expect((err as { headers?: Headers }).headers?.get('retry-after')).toBe('1');
    const row = env.audit().at(-1)!;
    expect(row.agent_id).toBe('limited');
    expect([row.policy, row.decision, row.code]).toEqual(['token-rate-limit', 'deny', 'OVERLOADED']);
    expect(env.fakes[0]!.requests.length).toBe(before); // nothing reached the provider
  });

  it('charges the bound as the worst case of a request whose client left before any answer', async () => {
    env.fakes[0]!.script({ delayMs: 5000 });
    const ctl = new AbortController();
    const p = env.client('agent').chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello' }] }, { signal: ctl.signal }).catch(() => undefined);
    await expect.poll(() => env.fakes[0]!.stats.inFlight).toBe(1);
    ctl.abort();
    await p;
    await expect.poll(() => env.audit().at(-1)!.code).toBe('CLIENT_CLOSED_REQUEST');
    const row = env.audit().at(-1)!;
    expect(row.details!.usage.source).toBe('reserved');
    // 'user' and 'hello' (9 bytes) plus the bound's margins (8 per message, 8 for the reply); exactly it is 8.
    expect(row.tokens_in).toBe(25);
  });
});

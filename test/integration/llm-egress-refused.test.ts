/**
 * A provider whose host name resolves to an address the egress rules refuse (loopback, not
 * configured internal): a real gateway process, whose DNS answers for `*.loopback.test` come
 * from a preload (loaded with --import), as a split-horizon or hostile resolver would answer.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeProvider, readLogs, startLlmEnv, type LlmEnv } from './llm-fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-egress-refused-'));
const preload = join(dir, 'loopback-dns.mjs');
writeFileSync(
  preload,
  `import { createRequire, syncBuiltinESMExports } from 'node:module';
const dns = createRequire(import.meta.url)('node:dns/promises');
const original = dns.lookup;
dns.lookup = (host, opts) => {
  if (!String(host).endsWith('.loopback.test')) return original(host, opts);
  const a = { address: '127.0.0.1', family: 4 };
  return Promise.resolve(opts && opts.all ? [a] : a);
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
        // Not internal, so the loopback address its name resolves to is refused.
        { ...fakeProvider('outside', a!, ['gpt-4o']), baseUrl: a!.url.replace('127.0.0.1', 'models.loopback.test'), internal: false },
        fakeProvider('backup', b!, [{ name: 'gpt-4.1-mini@backup', upstreamName: 'gpt-4.1-mini' }]),
      ],
      aliases: { 'with-backup': { targets: [{ model: 'gpt-4o' }, { model: 'gpt-4.1-mini@backup' }] } },
      retries: { maxAttempts: 3, baseMs: 10, capMs: 20 },
    }),
    agents: [{ id: 'agent', models: { allow: ['*'] } }],
    env: { KEY_OUTSIDE: 'sk-outside', KEY_BACKUP: 'sk-backup', NODE_OPTIONS: `--import=${pathToFileURL(preload).href}` },
  });
});
afterAll(async () => {
  await env?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const messages = [{ role: 'user' as const, content: 'hello' }];

describe('a provider whose address the egress rules refuse', () => {
  it('is tried once and passed over for the next target, the refusal and its reason in the audit', async () => {
    const { response } = await env.client('agent').chat.completions.create({ model: 'with-backup', messages }).withResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('x-warden-provider')).toBe('backup');
    const row = env.audit().at(-1)!;
    expect(row.details!.attempts).toMatchObject([
      { provider: 'outside', model: 'gpt-4o', error: 'refused', reason: expect.stringContaining('models.loopback.test resolves to a loopback address (127.0.0.0/8)') },
      { provider: 'backup', status: 200 },
    ]);
    expect(env.fakes[0]!.requests).toHaveLength(0); // no connection was made
  });

  it('answers 503 that the official client does not retry when it was the only target, after one attempt', async () => {
    const client = env.client('agent', { maxRetries: 2 });
    const err = await client.chat.completions.create({ model: 'gpt-4o', messages }).catch((e: unknown) => e);
    expect(err).toMatchObject({ status: 503, code: 'upstream_unavailable' });
    expect((err as { headers: Headers }).headers.get('x-should-retry')).toBe('false');
    expect((err as Error).message).toMatch(/egress rules/);
    expect((err as Error).message).not.toContain('127.0.0.1');
    const rows = env.audit().filter((r) => r.target === 'gpt-4o');
    expect(rows).toHaveLength(1); // maxRetries 2, but no retry: x-should-retry says not to
    expect(rows.at(-1)!.details!.attempts.map((a: { error?: string }) => a.error)).toEqual(['refused']);
    expect(readLogs(env.gw)).toContain('egress refused a connection to a forbidden address');
  });
});

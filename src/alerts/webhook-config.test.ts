import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { WebhookConfigSchema, resolveWebhookConfig } from './webhook-config.js';

const issues = (input: unknown) => {
  const r = WebhookConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('WebhookConfigSchema', () => {
  it('fills the defaults: no headers, external, 5 s per attempt, 5 attempts, 1,000 queued', () => {
    expect(WebhookConfigSchema.parse({ url: 'https://alerts.example/hook' })).toEqual({
      url: 'https://alerts.example/hook',
      headers: {},
      internal: false,
      timeoutMs: 5_000,
      maxAttempts: 5,
      maxQueue: 1_000,
    });
  });

  it('takes header values inline or as secret references', () => {
    const parsed = WebhookConfigSchema.parse({ url: 'http://127.0.0.1:9/h', internal: true, headers: { 'X-Team': 'ops', Authorization: { env: 'HOOK_TOKEN' } } });
    expect(parsed.headers).toEqual({ 'X-Team': 'ops', Authorization: { env: 'HOOK_TOKEN' } });
  });

  it.each([
    ['a non-http URL', { url: 'ftp://alerts.example/hook' }, 'url'],
    ['credentials in the URL', { url: 'https://user:pw@alerts.example/hook' }, 'url'],
    ['a header the sender sets', { url: 'https://a.example', headers: { 'Idempotency-Key': 'x' } }, 'headers.Idempotency-Key'],
    ['a header named twice', { url: 'https://a.example', headers: { 'X-A': '1', 'x-a': '2' } }, 'headers'],
    ['a value with a line break', { url: 'https://a.example', headers: { 'X-A': 'a\r\nX-B: b' } }, 'headers.X-A'],
    ['no attempt at all', { url: 'https://a.example', maxAttempts: 0 }, 'maxAttempts'],
    ['an unknown key', { url: 'https://a.example', retries: 3 }, ''],
  ])('refuses %s', (_what, input, path) => {
    const found = issues(input);
    expect(found.length).toBeGreaterThan(0);
    expect(found.some((i) => i.startsWith(`${path}:`))).toBe(true);
  });

  it('describes every field for the generated config schema', () => {
    for (const [name, field] of Object.entries(WebhookConfigSchema.shape)) expect(field.description, name).toBeTruthy();
  });
});

describe('resolveWebhookConfig', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('resolves env and file references, a relative file against the declaring folder', async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-webhook-'));
    await writeFile(join(dir, 'sig.txt'), 'file-secret\n');
    const settings = WebhookConfigSchema.parse({ url: 'https://a.example/h', headers: { Authorization: { env: 'HOOK_TOKEN' }, 'X-Sig': { file: 'sig.txt' }, 'X-Team': 'ops' } });
    const r = await resolveWebhookConfig(settings, dir, { HOOK_TOKEN: 'Bearer env-secret' });
    expect(r).toEqual({ ok: true, config: { ...settings, headers: { Authorization: 'Bearer env-secret', 'X-Sig': 'file-secret', 'X-Team': 'ops' } } });
  });

  it('names the header whose secret is missing', async () => {
    const settings = WebhookConfigSchema.parse({ url: 'https://a.example/h', headers: { Authorization: { env: 'HOOK_TOKEN' } } });
    expect(await resolveWebhookConfig(settings, '/', {})).toEqual({ ok: false, message: 'webhook header Authorization: environment variable HOOK_TOKEN is not set' });
  });

  it('refuses a secret that would split the request, without quoting it', async () => {
    const settings = WebhookConfigSchema.parse({ url: 'https://a.example/h', headers: { Authorization: { env: 'HOOK_TOKEN' } } });
    const r = await resolveWebhookConfig(settings, '/', { HOOK_TOKEN: 'tok\r\nX-Evil: 1' });
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain('X-Evil');
  });
});

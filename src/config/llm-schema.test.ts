import { describe, expect, it } from 'vitest';
import { LlmConfigSchema, ProviderSchema } from './llm-schema.js';
import { issuesFromZod } from './issues.js';

function provider(id: string, models: unknown[], extra: Record<string, unknown> = {}) {
  return { id, baseUrl: 'https://api.example.com/v1', models, ...extra };
}

/** The issues of a config as `path: message`, or [] when it is valid. */
function issues(input: unknown): string[] {
  const r = LlmConfigSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

const TWO_PROVIDERS = [
  provider('openai', [{ name: 'gpt-4o' }, { name: 'text-embedding-3-small', kind: 'embeddings' }]),
  provider('local', [{ name: 'llama', upstreamName: 'llama3.1:8b', encoding: null }]),
];

describe('LlmConfigSchema: defaults', () => {
  it('an empty section is a proxy with no providers and the documented limits', () => {
    expect(LlmConfigSchema.parse({})).toEqual({
      providers: [],
      aliases: {},
      prices: {},
      defaults: { maxOutputTokens: 4096, maxChoices: 8, maxBodyBytes: 4 * 1024 * 1024, heldInputTokens: 128_000 },
      retries: { maxAttempts: 3, baseMs: 100, capMs: 2000 },
      circuitBreaker: { failureThreshold: 5, openMs: 30_000 },
      cache: { maxBytes: 64 * 1024 * 1024, maxEntryBytes: 1024 * 1024 },
    });
  });

  it('fills a provider and its models: bearer key header, internal false, timeouts, caps, chat kind', () => {
    const p = ProviderSchema.parse(provider('openai', [{ name: 'gpt-4o' }]));
    expect(p).toEqual({
      id: 'openai',
      baseUrl: 'https://api.example.com/v1',
      apiKeyHeader: 'authorization',
      headers: {},
      query: {},
      internal: false,
      timeouts: { connectMs: 10_000, firstByteMs: 120_000, idleMs: 120_000, totalMs: 600_000 },
      maxConnections: 64,
      maxResponseBytes: 32 * 1024 * 1024,
      maxEventBytes: 1024 * 1024,
      clearance: 'internal',
      models: [{ name: 'gpt-4o', kind: 'chat' }],
    });
  });

  it('fills an alias: fallback, weight 1, no rules, no cache', () => {
    const cfg = LlmConfigSchema.parse({ providers: TWO_PROVIDERS, aliases: { fast: { targets: [{ model: 'gpt-4o' }, { model: 'llama' }] } } });
    expect(cfg.aliases.fast).toEqual({ strategy: 'fallback', targets: [{ model: 'gpt-4o', weight: 1 }, { model: 'llama', weight: 1 }], rules: [] });
  });

  it('accepts every strategy on an alias and on a rule, and nothing else', () => {
    for (const strategy of ['fallback', 'weighted', 'cheapest', 'latency']) {
      expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { strategy, targets: [{ model: 'gpt-4o' }], rules: [{ when: {}, strategy, targets: [{ model: 'llama' }] }] } } })).toEqual([]);
    }
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { strategy: 'random', targets: [{ model: 'gpt-4o' }] } } })).toEqual([
      expect.stringMatching(/^aliases\.a\.strategy: /),
    ]);
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'gpt-4o' }], rules: [{ when: {}, strategy: 'round-robin', targets: [{ model: 'gpt-4o' }] }] } } })).toEqual([
      expect.stringMatching(/^aliases\.a\.rules\.0\.strategy: /),
    ]);
  });
});

describe('LlmConfigSchema: names', () => {
  it('refuses a provider id used twice', () => {
    expect(issues({ providers: [provider('openai', [{ name: 'a' }]), provider('openai', [{ name: 'b' }])] })).toEqual([
      'providers.1.id: provider id "openai" is used more than once',
    ]);
  });

  it('refuses a model name declared by two providers, naming the first', () => {
    expect(issues({ providers: [provider('openai', [{ name: 'gpt-4o' }]), provider('azure', [{ name: 'gpt-4o' }])] })).toEqual([
      'providers.1.models.0.name: model "gpt-4o" is already declared by provider "openai"; give it another name and route both with an alias',
    ]);
  });

  it('accepts the same upstream model under two public names', () => {
    expect(issues({ providers: [provider('openai', [{ name: 'gpt-4o' }]), provider('azure', [{ name: 'azure-gpt-4o', upstreamName: 'gpt-4o' }])] })).toEqual([]);
  });

  it('refuses an alias named like a model', () => {
    expect(issues({ providers: TWO_PROVIDERS, aliases: { 'gpt-4o': { targets: [{ model: 'llama' }] } } })).toEqual(['aliases.gpt-4o: alias "gpt-4o" has the name of a model']);
  });

  it('refuses alias targets naming unknown models, in targets and inside rules', () => {
    const cfg = {
      providers: TWO_PROVIDERS,
      aliases: {
        smart: {
          targets: [{ model: 'gpt-4o' }, { model: 'gpt-5' }],
          rules: [{ when: { tools: true }, targets: [{ model: 'llama' }, { model: 'claude' }] }],
        },
      },
    };
    expect(issues(cfg)).toEqual([
      'aliases.smart.targets.1.model: unknown model "gpt-5" (declare it under a provider)',
      'aliases.smart.rules.0.targets.1.model: unknown model "claude" (declare it under a provider)',
    ]);
  });

  it('does not let an alias target another alias (targets are provider models)', () => {
    const cfg = { providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'gpt-4o' }] }, b: { targets: [{ model: 'a' }] } } };
    expect(issues(cfg)).toEqual(['aliases.b.targets.0.model: unknown model "a" (declare it under a provider)']);
  });

  it('matches names exactly: a case variant is another, unknown model', () => {
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'GPT-4o' }] } } })).toEqual([
      'aliases.a.targets.0.model: unknown model "GPT-4o" (declare it under a provider)',
    ]);
  });

  it('refuses provider ids that are not lowercase slugs of 1-32 characters', () => {
    for (const id of ['OpenAI', '1openai', '-x', 'open_ai', 'open ai', '', 'a'.repeat(33)]) {
      expect(issues({ providers: [provider(id, [{ name: 'm' }])] })).toEqual([expect.stringMatching(/^providers\.0\.id: must be a lowercase slug/)]);
    }
    expect(issues({ providers: [provider('a'.repeat(32), [{ name: 'm' }])] })).toEqual([]);
  });

  it('refuses model and alias names outside A-Z a-z 0-9 "._:/@-" or longer than 200', () => {
    for (const name of ['gpt 4o', 'gpt*', 'gpt?', 'é', '', 'm'.repeat(201), 'a\nb']) {
      expect(issues({ providers: [provider('p', [{ name }])] })).toEqual([expect.stringMatching(/^providers\.0\.models\.0\.name: must be 1-200 of/)]);
    }
    expect(issues({ providers: [provider('p', [{ name: 'models/gemini-2.5-pro' }, { name: 'ft:gpt-4o:acme@v1.2' }, { name: 'm'.repeat(200) }])] })).toEqual([]);
    expect(issues({ providers: TWO_PROVIDERS, aliases: { 'bad alias': { targets: [{ model: 'gpt-4o' }] } } })).toEqual([
      // zod reports a bad record key without the key schema's own message.
      expect.stringMatching(/^aliases\.bad alias: /),
    ]);
  });

  it('refuses a provider with no models, and a base URL that is not http(s)', () => {
    expect(issues({ providers: [provider('p', [])] })).toEqual([expect.stringMatching(/^providers\.0\.models: /)]);
    for (const baseUrl of ['ftp://x/v1', 'file:///etc', 'api.openai.com/v1']) {
      expect(issues({ providers: [{ ...provider('p', [{ name: 'm' }]), baseUrl }] })).toEqual(['providers.0.baseUrl: must be an http(s) URL']);
    }
  });
});

describe('LlmConfigSchema: secrets', () => {
  it('takes the provider key only as a reference, never inline', () => {
    for (const apiKey of [{ env: 'OPENAI_API_KEY' }, { file: 'keys/openai' }]) expect(issues({ providers: [provider('p', [{ name: 'm' }], { apiKey })] })).toEqual([]);
    for (const apiKey of ['sk-proj-abc123', { value: 'sk-proj-abc123' }]) {
      expect(issues({ providers: [provider('p', [{ name: 'm' }], { apiKey })] })).toEqual([
        'providers.0.apiKey: must be a secret reference, {env: NAME} or {file: path}; secrets are never written inline',
      ]);
    }
    // A key pasted where the variable name goes is refused too.
    expect(issues({ providers: [provider('p', [{ name: 'm' }], { apiKey: { env: 'sk-proj abc' } })] })).toEqual([
      expect.stringMatching(/^providers\.0\.apiKey/),
    ]);
  });

  it('takes extra headers inline or as references, query parameters only inline', () => {
    expect(issues({ providers: [provider('p', [{ name: 'm' }], { headers: { 'OpenAI-Organization': 'org-1', 'x-token': { env: 'X_TOKEN' } } })] })).toEqual([]);
    expect(issues({ providers: [provider('p', [{ name: 'm' }], { query: { 'api-version': '2024-10-21' } })] })).toEqual([]);
    expect(issues({ providers: [provider('p', [{ name: 'm' }], { query: { key: { env: 'X' } } })] })).toEqual([expect.stringMatching(/^providers\.0\.query\.key: /)]);
  });
});

describe('LlmConfigSchema: routes', () => {
  it('refuses a rule with agentTags: [] (it would match no agent)', () => {
    const cfg = { providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'gpt-4o' }], rules: [{ when: { agentTags: [] }, targets: [{ model: 'llama' }] }] } } };
    expect(issues(cfg)).toEqual([expect.stringMatching(/^aliases\.a\.rules\.0\.when\.agentTags: /)]);
  });

  it('refuses an alias with no targets, a negative weight and an unknown rule condition', () => {
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { targets: [] } } })).toEqual([expect.stringMatching(/^aliases\.a\.targets: /)]);
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'gpt-4o', weight: -1 }] } } })).toEqual([expect.stringMatching(/^aliases\.a\.targets\.0\.weight: /)]);
    expect(issues({ providers: TWO_PROVIDERS, aliases: { a: { targets: [{ model: 'gpt-4o' }], rules: [{ when: { model: 'x' }, targets: [{ model: 'gpt-4o' }] }] } } })).toEqual([
      expect.stringMatching(/^aliases\.a\.rules\.0\.when: /),
    ]);
  });

  it('refuses an alias that mixes chat and embeddings models, also through a rule', () => {
    const cfg = { providers: TWO_PROVIDERS, aliases: { mixed: { targets: [{ model: 'gpt-4o' }], rules: [{ when: { stream: false }, targets: [{ model: 'text-embedding-3-small' }] }] } } };
    expect(issues(cfg)).toEqual(['aliases.mixed: an alias cannot mix chat and embeddings models']);
    const plain = { providers: TWO_PROVIDERS, aliases: { mixed: { targets: [{ model: 'text-embedding-3-small' }, { model: 'llama' }] } } };
    expect(issues(plain)).toEqual(['aliases.mixed: an alias cannot mix chat and embeddings models']);
    const embeddingsOnly = { providers: TWO_PROVIDERS, aliases: { e: { targets: [{ model: 'text-embedding-3-small' }] } } };
    expect(issues(embeddingsOnly)).toEqual([]);
  });
});

describe('problem reports', () => {
  it('names what is wrong with a bad alias name instead of "Invalid key in record"', () => {
    const r = LlmConfigSchema.safeParse({ aliases: { 'bad name!': { targets: [{ model: 'x' }] } } });
    expect(r.success).toBe(false);
    const issues = issuesFromZod('warden.yaml', r.error!);
    expect(issues[0]!.message).toMatch(/^key must be 1-200 of/);
  });

  it('refuses a provider on a loopback or private literal without internal: true, naming the fix', () => {
    const r = LlmConfigSchema.safeParse({ providers: [{ id: 'ollama', baseUrl: 'http://localhost:11434/v1', models: [{ name: 'llama' }] }] });
    expect(r.success).toBe(false);
    expect(issuesFromZod('warden.yaml', r.error!)[0]).toMatchObject({
      path: 'providers[0].baseUrl',
      message: 'localhost is a loopback address (127.0.0.0/8): the gateway calls it only for a provider configured with internal: true',
    });
    expect(LlmConfigSchema.safeParse({ providers: [{ id: 'ollama', baseUrl: 'http://localhost:11434/v1', internal: true, models: [{ name: 'llama' }] }] }).success).toBe(true);
  });

  it('refuses a rule whose token range is empty', () => {
    const r = LlmConfigSchema.safeParse({
      providers: [{ id: 'p', baseUrl: 'http://127.0.0.1:1/v1', internal: true, models: [{ name: 'm' }] }],
      aliases: { a: { targets: [{ model: 'm' }], rules: [{ when: { minPromptTokens: 500, maxPromptTokens: 100 }, targets: [{ model: 'm' }] }] } },
    });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error!.issues)).toContain('could never match');
  });
});

import { describe, expect, it } from 'vitest';
import { AliasSchema, LlmConfigSchema } from '../config/llm-schema.js';
import { ModelDirectory, type Route } from './model-directory.js';
import { PriceTable } from './prices/price-table.js';

const PROVIDERS = [
  {
    id: 'openai',
    baseUrl: 'https://api.openai.com/v1',
    models: [
      { name: 'gpt-4o' },
      { name: 'gpt-4o-mini', maxOutputTokens: 16_384, imageTokens: 48_000 },
      { name: 'gpt-4' },
      { name: 'text-embedding-3-small', kind: 'embeddings' },
    ],
  },
  {
    id: 'local',
    baseUrl: 'http://127.0.0.1:11434/v1',
    internal: true,
    models: [
      { name: 'llama', upstreamName: 'llama3.1:8b' },
      { name: 'local-gpt-4o', upstreamName: 'gpt-4o', encoding: null },
      { name: 'qwen', encoding: 'cl100k_base' },
      { name: 'nomic-embed', kind: 'embeddings' },
    ],
  },
];

function directory(extra: Record<string, unknown> = {}): ModelDirectory {
  return new ModelDirectory(LlmConfigSchema.parse({ providers: PROVIDERS, ...extra }));
}

function route(dir: ModelDirectory, name: string): Route {
  const r = dir.route(name);
  if (!r) throw new Error(`no route ${name}`);
  return r;
}

describe('ModelDirectory: provider models', () => {
  it('makes each model a one-target fallback route that is not an alias', () => {
    const dir = directory();
    const r = route(dir, 'gpt-4o-mini');
    expect(r).toMatchObject({ name: 'gpt-4o-mini', alias: false, kind: 'chat', strategy: 'fallback', rules: [], cacheTtlMs: undefined });
    expect(r.targets).toHaveLength(1);
    expect(r.targets[0]!.weight).toBe(1);
    expect(r.allTargets).toEqual([r.targets[0]!.target]);
    expect(r.targets[0]!.target).toMatchObject({
      name: 'gpt-4o-mini',
      upstreamName: 'gpt-4o-mini',
      kind: 'chat',
      maxOutputTokens: 16_384,
      imageTokens: 48_000,
      key: 'openai/gpt-4o-mini',
    });
    expect(r.targets[0]!.target.provider.id).toBe('openai');
    expect(route(dir, 'nomic-embed').kind).toBe('embeddings');
    expect(dir.size).toBe(8);
    expect([...dir.routes()].map((x) => x.name)).toEqual(['gpt-4o', 'gpt-4o-mini', 'gpt-4', 'text-embedding-3-small', 'llama', 'local-gpt-4o', 'qwen', 'nomic-embed']);
  });

  it('keeps the upstream name apart from the public one', () => {
    const t = route(directory(), 'llama').targets[0]!.target;
    expect(t).toMatchObject({ name: 'llama', upstreamName: 'llama3.1:8b', key: 'local/llama' });
  });

  it('finds names exactly: no case folding, trimming, prefix, provider prefix or date suffix', () => {
    const dir = directory();
    for (const name of ['GPT-4o', 'gpt-4o ', ' gpt-4o', 'gpt-4', 'gpt-4o-mini-2024-07-18', 'openai/gpt-4o', 'gpt-4o-2024-08-06', 'llama3.1:8b', 'gpt', '']) {
      expect(dir.route(name)?.name ?? null, name).toBe(name === 'gpt-4' ? 'gpt-4' : null);
    }
  });
});

describe('ModelDirectory: encodings', () => {
  it('gives OpenAI model names their encoding', () => {
    const dir = directory();
    const enc = (name: string) => route(dir, name).targets[0]!.target.encoding;
    expect(enc('gpt-4o')).toBe('o200k_base');
    expect(enc('gpt-4o-mini')).toBe('o200k_base');
    expect(enc('gpt-4')).toBe('cl100k_base');
    expect(enc('text-embedding-3-small')).toBe('cl100k_base');
  });

  it('gives null (bounded prompts) to other names and to `encoding: null`, even on an OpenAI name', () => {
    const dir = directory();
    const enc = (name: string) => route(dir, name).targets[0]!.target.encoding;
    expect(enc('llama')).toBeNull();
    expect(enc('nomic-embed')).toBeNull();
    expect(enc('local-gpt-4o')).toBeNull();
  });

  it('lets an explicit encoding win over the name', () => {
    expect(route(directory(), 'qwen').targets[0]!.target.encoding).toBe('cl100k_base');
    const dir = new ModelDirectory(LlmConfigSchema.parse({ providers: [{ id: 'p', baseUrl: 'https://x/v1', models: [{ name: 'gpt-4', encoding: 'o200k_base' }] }] }));
    expect(route(dir, 'gpt-4').targets[0]!.target.encoding).toBe('o200k_base');
  });

  it('reads the encoding from the upstream name, which is what the provider runs', () => {
    const dir = new ModelDirectory(
      LlmConfigSchema.parse({
        providers: [{ id: 'p', baseUrl: 'https://x/v1', models: [{ name: 'fast', upstreamName: 'gpt-4o-mini' }, { name: 'gpt-4o', upstreamName: 'mistral-large' }] }],
      }),
    );
    expect(route(dir, 'fast').targets[0]!.target.encoding).toBe('o200k_base');
    expect(route(dir, 'gpt-4o').targets[0]!.target.encoding).toBeNull();
  });
});

describe('ModelDirectory: prices', () => {
  const price = (dir: ModelDirectory, name: string) => route(dir, name).targets[0]!.target.price;

  it('takes the default table by upstream name, and no price (never free) for unknown models', () => {
    const dir = directory();
    expect(price(dir, 'gpt-4o-mini')).toMatchObject({ input: 0.15, output: 0.6 });
    expect(price(dir, 'llama')).toBeUndefined();
    expect(price(dir, 'nomic-embed')).toBeUndefined();
  });

  it('prefers llm.prices (by upstream name) over the default table', () => {
    const dir = directory({ prices: { 'gpt-4o-mini': { input: 1, output: 2 }, 'llama3.1:8b': { input: 0, output: 0 } } });
    expect(price(dir, 'gpt-4o-mini')).toEqual({ input: 1, output: 2 });
    // An explicit zero is a price: a local model the operator calls free.
    expect(price(dir, 'llama')).toEqual({ input: 0, output: 0 });
    // local-gpt-4o runs upstream "gpt-4o": the table's gpt-4o price applies to it.
    expect(price(dir, 'local-gpt-4o')).toMatchObject({ input: 2.5, output: 10 });
  });

  it("prefers the model's own price over llm.prices and the table", () => {
    const providers = [{ id: 'p', baseUrl: 'https://x/v1', models: [{ name: 'gpt-4o', price: { input: 7, output: 8 } }] }];
    const dir = new ModelDirectory(LlmConfigSchema.parse({ providers, prices: { 'gpt-4o': { input: 1, output: 1 } } }));
    expect(price(dir, 'gpt-4o')).toEqual({ input: 7, output: 8 });
  });

  it('falls back to the public name when the upstream name is a deployment the table does not know', () => {
    const providers = [{ id: 'azure', baseUrl: 'https://x.openai.azure.com/openai/v1', models: [{ name: 'gpt-4o', upstreamName: 'prod-deployment-7' }] }];
    expect(price(new ModelDirectory(LlmConfigSchema.parse({ providers })), 'gpt-4o')).toMatchObject({ input: 2.5, output: 10 });
  });

  it('uses the price table it is given', () => {
    const cfg = LlmConfigSchema.parse({ providers: PROVIDERS });
    const dir = new ModelDirectory(cfg, new PriceTable({}, { 'llama3.1:8b': { input: 0.1, output: 0.2 } }));
    expect(price(dir, 'llama')).toEqual({ input: 0.1, output: 0.2 });
    expect(price(dir, 'gpt-4o')).toBeUndefined();
  });
});

describe('ModelDirectory: aliases', () => {
  const aliases = {
    smart: {
      strategy: 'weighted',
      targets: [{ model: 'gpt-4o', weight: 3 }, { model: 'llama' }],
      rules: [
        { when: { tools: true }, targets: [{ model: 'gpt-4o-mini' }, { model: 'gpt-4o' }] },
        { when: { maxPromptTokens: 1000 }, strategy: 'cheapest', targets: [{ model: 'qwen' }] },
      ],
      cache: { ttlSeconds: 90 },
    },
    embed: { targets: [{ model: 'text-embedding-3-small' }, { model: 'nomic-embed' }] },
  };

  it('routes an alias to its targets with their weights, sharing one target object per model', () => {
    const dir = directory({ aliases });
    const r = route(dir, 'smart');
    expect(r).toMatchObject({ name: 'smart', alias: true, kind: 'chat', strategy: 'weighted', cacheTtlMs: 90_000 });
    expect(r.targets.map((t) => [t.target.key, t.weight])).toEqual([
      ['openai/gpt-4o', 3],
      ['local/llama', 1],
    ]);
    expect(r.targets[0]!.target).toBe(route(dir, 'gpt-4o').targets[0]!.target);
    expect(dir.size).toBe(10);
  });

  it('keeps rules in order; a rule without a strategy takes the alias one', () => {
    const r = route(directory({ aliases }), 'smart');
    expect(r.rules.map((x) => ({ when: x.when, strategy: x.strategy, targets: x.targets.map((t) => t.target.name) }))).toEqual([
      { when: { tools: true }, strategy: 'weighted', targets: ['gpt-4o-mini', 'gpt-4o'] },
      { when: { maxPromptTokens: 1000 }, strategy: 'cheapest', targets: ['qwen'] },
    ]);
  });

  it('lists every target any rule may pick once, for worst-case estimates', () => {
    const r = route(directory({ aliases }), 'smart');
    expect(r.allTargets.map((t) => t.name)).toEqual(['gpt-4o', 'llama', 'gpt-4o-mini', 'qwen']);
  });

  it('an embeddings alias has the embeddings kind and no cache unless asked', () => {
    const r = route(directory({ aliases }), 'embed');
    expect(r).toMatchObject({ kind: 'embeddings', strategy: 'fallback', cacheTtlMs: undefined });
  });

  it('refuses to build from a config the schema would have refused', () => {
    // The schema refuses both (llm-schema.test.ts); the directory does not route around it.
    const cfg = LlmConfigSchema.parse({ providers: PROVIDERS });
    const mixed = AliasSchema.parse({ targets: [{ model: 'gpt-4o' }], rules: [{ when: { stream: false }, targets: [{ model: 'nomic-embed' }] }] });
    expect(() => new ModelDirectory({ ...cfg, aliases: { mixed } })).toThrow(/mixes chat and embeddings/);
    const ghost = AliasSchema.parse({ targets: [{ model: 'gpt-4o' }], rules: [{ when: {}, targets: [{ model: 'nope' }] }] });
    expect(() => new ModelDirectory({ ...cfg, aliases: { ghost } })).toThrow(/unknown model nope/);
  });
});

describe('ModelDirectory: encodings to load ahead', () => {
  it('lists each encoding some configured model is counted with once, and none for models without one', () => {
    expect(directory().encodings().sort()).toEqual(['cl100k_base', 'o200k_base']);
    const onlyO200k = new ModelDirectory(LlmConfigSchema.parse({ providers: [{ id: 'openai', baseUrl: 'https://api.openai.com/v1', models: [{ name: 'gpt-4o' }, { name: 'gpt-4.1-mini' }, { name: 'llama', encoding: null }] }] }));
    expect(onlyO200k.encodings()).toEqual(['o200k_base']);
    // A local server's "gpt-4" declared without a public tokenizer loads nothing.
    const none = new ModelDirectory(LlmConfigSchema.parse({ providers: [{ id: 'local', baseUrl: 'http://127.0.0.1:11434/v1', internal: true, models: [{ name: 'gpt-4', encoding: null }, { name: 'llama3' }] }] }));
    expect(none.encodings()).toEqual([]);
  });
});

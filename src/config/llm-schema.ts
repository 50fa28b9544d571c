import { z } from 'zod';
import { CLEARANCES } from '../catalog/policy-schemas.js';
import { ModelPriceSchema } from '../llm/prices/price-schema.js';
import { SecretRefSchema } from './secret-ref.js';
import { refusedLiteralHost } from '../egress/literal-host.js';

/** Provider ids name a provider in routes, audit records and the `x-warden-provider` header. */
export const PROVIDER_ID_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Public model and alias names: what agents send as `model` and what catalog globs match. */
export const MODEL_NAME_PATTERN = /^[A-Za-z0-9._:/@-]{1,200}$/;

const ModelNameSchema = z
  .string()
  .regex(MODEL_NAME_PATTERN, 'must be 1-200 of A-Z, a-z, 0-9, "._:/@-"')
  .describe('Model name as agents send it (case-sensitive)');

const EncodingSchema = z
  .union([z.enum(['o200k_base', 'cl100k_base']), z.null()])
  .describe("OpenAI encoding for exact prompt counts; null: the model's tokenizer is not public, so prompts are bounded (UTF-8 bytes), not counted");

const ProviderModelSchema = z
  .strictObject({
    name: ModelNameSchema,
    upstreamName: z.string().min(1).max(200).optional().describe('The name the provider knows the model by (default: name)'),
    kind: z.enum(['chat', 'embeddings']).default('chat').describe('chat: /v1/chat/completions and /v1/responses; embeddings: /v1/embeddings'),
    encoding: EncodingSchema.optional().describe('Default: from the name for OpenAI model names, else null (bounded)'),
    imageTokens: z.number().int().min(0).max(1_000_000).optional().describe('Tokens reserved per image part (default 3,800)'),
    maxOutputTokens: z
      .number()
      .int()
      .positive()
      .optional()
      .describe("The model's own output limit: requests asking for more are refused, and requests asking for nothing reserve this (else llm.defaults.maxOutputTokens)"),
    price: ModelPriceSchema.optional().describe('USD per 1M tokens; overrides llm.prices and the default table'),
  })
  .describe('A model this provider serves');

const TimeoutsSchema = z
  .strictObject({
    connectMs: z.number().int().min(100).max(120_000).default(10_000).describe('Resolving, connecting and the TLS handshake'),
    firstByteMs: z.number().int().min(100).max(3_600_000).default(120_000).describe('From sending the request to the response headers'),
    idleMs: z.number().int().min(100).max(3_600_000).default(120_000).describe('A stream that sends nothing for this long is aborted'),
    totalMs: z.number().int().min(100).max(7_200_000).default(600_000).describe('A whole attempt, stream included'),
  })
  .prefault({});

const HeaderValueSchema = z.union([z.string().max(4096), SecretRefSchema]);

export const ProviderSchema = z
  .strictObject({
    id: z.string().regex(PROVIDER_ID_PATTERN, 'must be a lowercase slug of 1-32 characters: a letter, then a-z, 0-9 or "-"'),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .describe('The OpenAI-compatible base URL, including its version path (https://api.openai.com/v1, http://127.0.0.1:11434/v1, https://generativelanguage.googleapis.com/v1beta/openai)'),
    apiKey: SecretRefSchema.optional().describe('The provider key (a reference); absent for keyless local servers'),
    apiKeyHeader: z
      .string()
      .regex(/^[A-Za-z0-9-]{1,64}$/)
      .default('authorization')
      .describe('authorization: "Bearer <key>"; any other header (e.g. api-key for Azure OpenAI) carries the key as it is'),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), HeaderValueSchema)
      .default({})
      .describe('Extra headers sent to the provider (e.g. OpenAI-Organization, HTTP-Referer); secrets as references'),
    query: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/), z.string().max(256)).default({}).describe('Query parameters added to every call (e.g. api-version)'),
    internal: z
      .boolean()
      .default(false)
      .describe('The provider runs on this machine or the private network (Ollama, vLLM): only then may its host resolve to loopback or private addresses'),
    timeouts: TimeoutsSchema,
    maxConnections: z.number().int().min(1).max(4096).default(64),
    maxResponseBytes: z.number().int().min(1024).default(32 * 1024 * 1024).describe('An answer larger than this (JSON after decompression, or a stream in total) is refused or cut'),
    maxEventBytes: z.number().int().min(1024).default(1024 * 1024).describe('One SSE event larger than this ends the stream'),
    clearance: z
      .enum(CLEARANCES)
      .default('internal')
      .describe('Most sensitive data class this provider may receive (enforced by data-exposure policies)'),
    models: z.array(ProviderModelSchema).min(1).describe('Models served by this provider'),
  })
  .superRefine((p, ctx) => {
    const refused = refusedLiteralHost(p.baseUrl, p.internal, 'a provider');
    if (refused !== null) ctx.addIssue({ code: 'custom', path: ['baseUrl'], message: refused });
  })
  .describe('An OpenAI-compatible provider');

const AliasTargetSchema = z.strictObject({
  model: ModelNameSchema.describe('A model declared by a provider'),
  weight: z.number().min(0).max(1_000_000).default(1).describe('weighted strategy: share of first attempts (0: only as a fallback)'),
});

export const ROUTE_STRATEGIES = ['fallback', 'weighted', 'cheapest', 'latency'] as const;
const StrategySchema = z
  .enum(ROUTE_STRATEGIES)
  .describe('fallback: in order; weighted: by weight; cheapest: by price; latency: lowest observed latency first. Every target remains a fallback');

const RouteRuleSchema = z.strictObject({
  when: z
    .strictObject({
      maxPromptTokens: z.number().int().min(0).optional(),
      minPromptTokens: z.number().int().min(0).optional(),
      tools: z.boolean().optional().describe('The request defines tools'),
      images: z.boolean().optional().describe('The request carries image parts'),
      agentTags: z.array(z.string().min(1)).min(1).optional().describe('The agent has any of these catalog tags'),
      stream: z.boolean().optional(),
    })
    .refine((w) => w.minPromptTokens === undefined || w.maxPromptTokens === undefined || w.minPromptTokens <= w.maxPromptTokens, {
      message: 'minPromptTokens is above maxPromptTokens: the rule could never match',
    })
    .describe('All given conditions must hold; an empty when always matches'),
  strategy: StrategySchema.optional(),
  targets: z.array(AliasTargetSchema).min(1),
});

const CacheTtlSchema = z.strictObject({
  ttlSeconds: z.number().int().min(1).max(30 * 86_400).describe('How long an answer is served from the cache'),
});

export const AliasSchema = z
  .strictObject({
    description: z.string().max(500).optional(),
    strategy: StrategySchema.default('fallback'),
    targets: z.array(AliasTargetSchema).min(1),
    rules: z.array(RouteRuleSchema).default([]).describe('First matching rule picks the targets; none matching: targets'),
    cache: CacheTtlSchema.optional().describe('Serve identical requests to this alias from the exact-match cache'),
  })
  .describe('A public model name routed to one or more provider models');

export const LlmConfigSchema = z
  .strictObject({
    providers: z.array(ProviderSchema).default([]),
    aliases: z.record(ModelNameSchema, AliasSchema).default({}).describe('Alias name → route'),
    prices: z
      .record(z.string().min(1).max(200), ModelPriceSchema)
      .default({})
      .describe('Price overrides by upstream model name (USD per 1M tokens); the default table covers common models'),
    defaults: z
      .strictObject({
        maxOutputTokens: z
          .number()
          .int()
          .positive()
          .default(4096)
          .describe('Output tokens reserved for a request that sets no max_tokens / max_completion_tokens / max_output_tokens'),
        maxChoices: z.number().int().min(1).max(128).default(8).describe('Largest n accepted'),
        maxBodyBytes: z.number().int().min(1024).default(4 * 1024 * 1024).describe('Largest request body on /v1 (prompts are larger than other requests)'),
        heldInputTokens: z
          .number()
          .int()
          .positive()
          .default(128_000)
          .describe('Prompt tokens assumed for input the request only points to (previous_response_id, conversation, item references, stored prompts, files): the provider fills it in, so its size is not known'),
      })
      .prefault({}),
    retries: z
      .strictObject({
        maxAttempts: z.number().int().min(1).max(10).default(3).describe('Attempts per request across all targets'),
        baseMs: z.number().int().min(0).max(60_000).default(100),
        capMs: z.number().int().min(0).max(60_000).default(2_000),
      })
      .prefault({}),
    circuitBreaker: z
      .strictObject({
        failureThreshold: z.number().int().min(1).max(1000).default(5).describe('Consecutive failures that open a target'),
        openMs: z.number().int().min(100).max(3_600_000).default(30_000).describe('How long an open target is skipped before one probe'),
      })
      .prefault({}),
    cache: z
      .strictObject({
        maxBytes: z.number().int().min(0).default(64 * 1024 * 1024),
        maxEntryBytes: z.number().int().min(1024).default(1024 * 1024),
      })
      .prefault({}),
  })
  .superRefine((cfg, ctx) => {
    const models = new Map<string, number>();
    const kinds = new Map<string, string>();
    const providers = new Set<string>();
    cfg.providers.forEach((p, i) => {
      if (providers.has(p.id)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'id'], message: `provider id "${p.id}" is used more than once` });
      providers.add(p.id);
      p.models.forEach((m, j) => {
        const first = models.get(m.name);
        if (first !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: ['providers', i, 'models', j, 'name'],
            message: `model "${m.name}" is already declared by provider "${cfg.providers[first]!.id}"; give it another name and route both with an alias`,
          });
        } else {
          models.set(m.name, i);
          kinds.set(m.name, m.kind);
        }
      });
    });
    for (const [alias, route] of Object.entries(cfg.aliases)) {
      if (models.has(alias)) ctx.addIssue({ code: 'custom', path: ['aliases', alias], message: `alias "${alias}" has the name of a model` });
      const check = (targets: Array<{ model: string }>, path: Array<string | number>) =>
        targets.forEach((t, k) => {
          if (!models.has(t.model)) ctx.addIssue({ code: 'custom', path: [...path, k, 'model'], message: `unknown model "${t.model}" (declare it under a provider)` });
        });
      check(route.targets, ['aliases', alias, 'targets']);
      route.rules.forEach((r, k) => check(r.targets, ['aliases', alias, 'rules', k, 'targets']));
      const routeKinds = new Set([...route.targets, ...route.rules.flatMap((r) => r.targets)].map((t) => kinds.get(t.model)).filter(Boolean));
      if (routeKinds.size > 1) ctx.addIssue({ code: 'custom', path: ['aliases', alias], message: 'an alias cannot mix chat and embeddings models' });
    }
  })
  .describe('The LLM proxy: OpenAI-compatible providers, aliases and routes, prices');

export type LlmConfig = z.output<typeof LlmConfigSchema>;
export type ProviderConfig = z.output<typeof ProviderSchema>;
export type ProviderModelConfig = ProviderConfig['models'][number];
export type AliasConfig = z.output<typeof AliasSchema>;
export type RouteStrategyName = (typeof ROUTE_STRATEGIES)[number];

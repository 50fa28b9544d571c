/**
 * The policy sections of an agent file. Each is a strict object: an unknown key is an error,
 * because a misspelt limit that silently disappears is a disabled policy.
 * Sections describe intent; which ones this gateway enforces is listed in enforced-sections.ts.
 */
import { z } from 'zod';
import { SecretRefSchema } from '../config/secret-ref.js';
import {
  AgentGlobSchema,
  ModelGlobSchema,
  PositiveInt,
  SlugSchema,
  ToolGlobSchema,
  allowDenyFields,
  noOverlap,
  uniqueList,
} from './schema-primitives.js';

/** SecretRefSchema with an error that says what to write instead of an inline secret. */
export const CredentialRefSchema = z.union(SecretRefSchema.options, {
  error: 'must be a secret reference, {env: VAR_NAME} or {file: path}; secrets are never written in the catalog',
});

// ---------------------------------------------------------------- tools

/** How much harm a tool call can do; tools are classified by the gateway, not by the agent. */
export const RISK_CLASSES = ['read-only', 'write', 'destructive'] as const;
const RiskClassSchema = z
  .enum(RISK_CLASSES)
  .describe('read-only: no side effects; write: creates or changes data; destructive: deletes or cannot be undone');

/** `tools`: tool-name and risk-class allow/deny lists. */
export const ToolsPolicySchema = z
  .strictObject({
    ...allowDenyFields(ToolGlobSchema, 'Tool names (globs)'),
    riskClasses: z
      .strictObject({
        allow: uniqueList(RiskClassSchema).default([...RISK_CLASSES]).describe('Risk classes permitted (default: all)'),
        deny: uniqueList(RiskClassSchema).default([]).describe('Risk classes refused (deny wins, so deny alone subtracts from all)'),
      })
      .prefault({})
      .describe('A tool must pass both the name lists and the risk-class lists'),
  })
  .superRefine(noOverlap)
  .describe('Which tools (MCP and imported OpenAPI operations) the agent may call. Absent: none');

// ---------------------------------------------------------------- models

/** `models`: model allow/deny lists and the default model. */
export const ModelsPolicySchema = z
  .strictObject({
    ...allowDenyFields(ModelGlobSchema, 'Model names (globs)'),
    defaultModel: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .describe('Model name or alias used when a request names none'),
    cache: z
      .strictObject({
        ttlSeconds: z.number().int().min(1).max(30 * 86_400).describe('How long an answer is served from the cache'),
        scope: SlugSchema.optional().describe(
          'Agents with the same owner, data clearance and scope share cached answers (default: the agent id, nothing shared)',
        ),
      })
      .optional()
      .describe('Serve identical requests of this agent from the exact-match response cache (opt-in)'),
  })
  .superRefine(noOverlap)
  .describe('Which LLM models the agent may use. Absent: none');

// ---------------------------------------------------------------- a2a

const A2aSkillSchema = z
  .strictObject({
    id: SlugSchema.describe('Skill id, unique within the agent'),
    name: z.string().min(1).max(100),
    description: z.string().min(1).max(2000),
    tags: uniqueList(SlugSchema).default([]),
    examples: z.array(z.string().min(1).max(500)).max(20).default([]).describe('Example requests shown on the agent card'),
  })
  .describe('A skill advertised on the agent card');

/** `a2a`: agent card, skills, who may call whom, and the agent's own endpoint. */
export const A2aPolicySchema = z
  .strictObject({
    publishCard: z.boolean().default(false).describe('Publish an A2A agent card for this agent through the gateway'),
    skills: z
      .array(A2aSkillSchema)
      .default([])
      .superRefine((skills, ctx) => {
        const seen = new Set<string>();
        skills.forEach((s, i) => {
          if (seen.has(s.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `skill id "${s.id}" is used more than once` });
          seen.add(s.id);
        });
      }),
    canCall: uniqueList(AgentGlobSchema).default([]).describe('Agents (ids or globs) this agent may send A2A messages to'),
    callableBy: uniqueList(AgentGlobSchema).default([]).describe('Agents (ids or globs) that may send A2A messages to this agent'),
    endpoint: z
      .strictObject({
        url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).describe('Where the gateway delivers A2A messages for this agent'),
        credential: CredentialRefSchema.optional().describe('Credential the gateway presents to the endpoint (a reference, never the value)'),
      })
      .optional()
      .describe('The agent\'s own A2A endpoint, if it receives messages'),
  })
  .superRefine((v, ctx) => {
    if (v.publishCard && v.skills.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['skills'], message: 'publishCard: true needs at least one skill' });
    }
  })
  .describe('Agent-to-agent (A2A) settings. Absent: no card, calls neither made nor accepted');

// ---------------------------------------------------------------- budgets

const BudgetLimitsSchema = z
  .strictObject({
    tokens: PositiveInt.optional().describe('LLM tokens (input + output)'),
    usd: z.number().positive().optional().describe('Cost in US dollars'),
    calls: PositiveInt.optional().describe('Number of calls on the channel'),
  })
  .refine((l) => l.tokens !== undefined || l.usd !== undefined || l.calls !== undefined, 'set at least one of tokens, usd, calls');

const BudgetSchema = z
  .strictObject({
    name: SlugSchema.optional().describe('Label used in errors and audit records'),
    scope: z.enum(['agent', 'owner']).default('agent').describe('agent: this agent alone; owner: shared by every agent with the same owner'),
    channel: z.enum(['llm', 'tools', 'a2a', 'all']).default('all').describe('Which traffic is charged'),
    window: z.enum(['minute', 'hour', 'day', 'month']),
    kind: z
      .enum(['calendar', 'rolling'])
      .default('calendar')
      .describe('calendar: resets at the start of each minute/hour/day/month in governance.timezone (default UTC); rolling: the last minute/hour/day/30 days'),
    limits: BudgetLimitsSchema,
    softThresholds: z
      .array(z.number().gt(0).max(100))
      .max(10)
      .default([])
      .superRefine((t, ctx) => {
        t.forEach((v, i) => {
          const prev = t[i - 1];
          if (prev !== undefined && v <= prev) ctx.addIssue({ code: 'custom', path: [i], message: 'thresholds must be strictly increasing' });
        });
      })
      .describe('Percentages of a limit (e.g. [50, 80, 100]) at which an alert is sent (audit record, log line, webhook), once per window'),
    action: z
      .enum(['deny', 'clamp'])
      .default('deny')
      .describe('deny: refuse calls once exhausted; clamp: lower max_tokens of LLM calls to what remains, deny when nothing remains'),
  })
  .superRefine((b, ctx) => {
    if (b.action === 'clamp' && b.channel !== 'llm' && b.channel !== 'all') {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'clamp applies to LLM calls: use channel llm or all' });
    }
    if (b.action === 'clamp' && b.limits.tokens === undefined && b.limits.usd === undefined) {
      ctx.addIssue({ code: 'custom', path: ['action'], message: 'clamp needs a tokens or usd limit' });
    }
  });

/** `budgets`: a list of token / cost / call limits per window. */
export const BudgetsPolicySchema = z
  .array(BudgetSchema)
  .superRefine((list, ctx) => {
    const seen = new Map<string, number>();
    list.forEach((b, i) => {
      const key = `${b.scope}/${b.channel}/${b.window}/${b.kind}`;
      const first = seen.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i], message: `same scope, channel, window and kind as budgets[${first}]` });
      else seen.set(key, i);
    });
  })
  .describe('Spending limits; every applicable budget must have room for a call to proceed');

// ---------------------------------------------------------------- rate limits

const RequestsPerMinute = PositiveInt.describe('Requests started per minute');
const TokensPerMinute = PositiveInt.describe('LLM tokens (input + output) per minute');
const Concurrent = PositiveInt.describe('Requests in flight at once');
const atLeastOne = (v: Record<string, unknown>) => Object.values(v).some((x) => x !== undefined);

const ModelLimitsSchema = z
  .strictObject({ requestsPerMinute: RequestsPerMinute.optional(), tokensPerMinute: TokensPerMinute.optional(), concurrent: Concurrent.optional() })
  .refine(atLeastOne, 'set at least one limit');

const ToolLimitsSchema = z
  .strictObject({ requestsPerMinute: RequestsPerMinute.optional(), concurrent: Concurrent.optional() })
  .refine(atLeastOne, 'set at least one limit');

/** `rateLimits`: per-minute and concurrency limits, with per-model and per-tool overrides. */
export const RateLimitsPolicySchema = z
  .strictObject({
    requestsPerMinute: RequestsPerMinute.optional(),
    tokensPerMinute: TokensPerMinute.optional(),
    concurrent: Concurrent.optional(),
    perModel: z.record(ModelGlobSchema, ModelLimitsSchema).default({}).describe('Tighter limits for matching models (model glob → limits)'),
    perTool: z.record(ToolGlobSchema, ToolLimitsSchema).default({}).describe('Tighter limits for matching tools (tool glob → limits)'),
  })
  .describe('Request-rate limits for the agent; overrides apply in addition to the agent-wide limits');

// ---------------------------------------------------------------- data exposure

/** Data classifications, least to most sensitive. */
export const CLEARANCES = ['public', 'internal', 'confidential', 'restricted'] as const;
/** Personal-data detectors an agent file may configure (the data-exposure policy implements them). */
export const PII_DETECTORS = ['email', 'phone', 'credit-card', 'iban', 'ip-address', 'national-id'] as const;
/** Credential detectors an agent file may configure. */
export const SECRET_DETECTORS = ['api-key', 'private-key', 'jwt', 'password', 'connection-string'] as const;

const DetectorAction = z.enum(['redact', 'block', 'allow']).describe('redact: mask the match; block: refuse the call; allow: pass it');

/** One optional action per detector, so an unknown detector name is an unknown key. */
function detectorOverrides<const D extends string>(detectors: readonly D[]) {
  return Object.fromEntries(detectors.map((d) => [d, DetectorAction.optional()])) as Record<D, z.ZodOptional<typeof DetectorAction>>;
}

/** `dataExposure`: clearance and the action per PII / secret detector. */
export const DataExposurePolicySchema = z
  .strictObject({
    clearance: z
      .enum(CLEARANCES)
      .default('internal')
      .describe('Highest data classification the agent may receive; more sensitive sources are refused'),
    pii: z
      .strictObject({
        default: DetectorAction.default('redact').describe('Action for PII detectors not listed here'),
        ...detectorOverrides(PII_DETECTORS),
      })
      .prefault({})
      .describe('Action per personal-data detector, on requests and responses'),
    secrets: z
      .strictObject({
        default: DetectorAction.default('block').describe('Action for secret detectors not listed here'),
        ...detectorOverrides(SECRET_DETECTORS),
      })
      .prefault({})
      .describe('Action per credential detector, on requests and responses'),
  })
  .describe('What data the agent may see and what happens to personal data and credentials in its traffic');

// ---------------------------------------------------------------- loops

/** `loops`: runaway-agent detection thresholds and the reaction. */
export const LoopsPolicySchema = z
  .strictObject({
    repetition: z
      .strictObject({
        threshold: z.number().int().min(2).max(1000).default(5).describe('Identical calls (same target and arguments) that count as a loop'),
        windowSeconds: z.number().int().min(1).max(86_400).default(60).describe('Sliding window the identical calls are counted in'),
      })
      .prefault({}),
    cycleRepetitions: z.number().int().min(2).max(100).default(3).describe('Times a call cycle (A→B→A…) may repeat before it counts as a loop'),
    maxHopDepth: z.number().int().min(1).max(64).default(8).describe('Longest chain of A2A hops a request may travel'),
    velocityFactor: z
      .number()
      .gt(1)
      .max(1000)
      .optional()
      .describe('Flag the agent when its call rate exceeds this multiple of its own recent baseline (absent: off)'),
    action: z
      .enum(['warn', 'throttle', 'block', 'suspend'])
      .default('block')
      .describe('warn: record only; throttle: one call a second for the cool-down; block: refuse every call for the cool-down; suspend: suspend the agent until an admin resumes it'),
    coolDownSeconds: z.number().int().min(0).max(86_400).default(300).describe('How long throttle and block last after the last detection'),
  })
  .describe('Detection of runaway agents: repeated calls, call cycles, deep A2A chains, sudden bursts');

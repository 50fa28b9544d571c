/**
 * The agent file format (schemaVersion 1). Zod is the single source of truth: the TypeScript
 * types below and schema/agent.schema.json are both derived from these schemas.
 */
import { z } from 'zod';
import {
  A2aPolicySchema,
  BudgetsPolicySchema,
  DataExposurePolicySchema,
  LoopsPolicySchema,
  ModelsPolicySchema,
  RateLimitsPolicySchema,
  ToolsPolicySchema,
} from './policy-schemas.js';
import { AgentIdSchema, SlugSchema, uniqueList } from './schema-primitives.js';

/** The only schema version this gateway reads. */
export const CATALOG_SCHEMA_VERSION = 1;

/** `status` values; a runtime suspension can additionally be set by an admin. */
export const AGENT_STATUSES = ['active', 'suspended'] as const;

/** One agent file. Strict at every level: unknown keys are errors, never ignored. */
export const AgentSpecSchema = z
  .strictObject({
    schemaVersion: z
      .literal(CATALOG_SCHEMA_VERSION, {
        error: (iss) =>
          iss.input === undefined
            ? `required: add "schemaVersion: ${CATALOG_SCHEMA_VERSION}"`
            : `unsupported schemaVersion ${JSON.stringify(iss.input)}; this gateway reads schemaVersion ${CATALOG_SCHEMA_VERSION}`,
      })
      .describe('Version of this file format'),
    id: AgentIdSchema,
    displayName: z.string().min(1).max(100).describe('Human-readable name'),
    owner: z.string().min(1).max(200).describe('Accountable team or person, e.g. "team-support" or "jane.doe@example.com"'),
    description: z.string().max(4000).optional().describe('What the agent does and why it needs its permissions'),
    tags: uniqueList(SlugSchema).max(32).default([]).describe('Lowercase slugs for grouping and search'),
    status: z
      .enum(AGENT_STATUSES)
      .default('active')
      .describe('suspended: every request of the agent is refused (a runtime suspension can also be set by an admin)'),
    tools: ToolsPolicySchema.optional(),
    models: ModelsPolicySchema.optional(),
    a2a: A2aPolicySchema.optional(),
    budgets: BudgetsPolicySchema.optional(),
    rateLimits: RateLimitsPolicySchema.optional(),
    dataExposure: DataExposurePolicySchema.optional(),
    loops: LoopsPolicySchema.optional(),
  })
  .describe('Warden agent catalog entry: one agent per file, named <id>.yaml');

/** A validated agent file with defaults applied. */
export type AgentSpec = z.output<typeof AgentSpecSchema>;
/** What an author may write (defaults optional). */
export type AgentSpecInput = z.input<typeof AgentSpecSchema>;

/** The validated policy sections (defaults applied). */
export type ToolsPolicy = z.output<typeof ToolsPolicySchema>;
export type ModelsPolicy = z.output<typeof ModelsPolicySchema>;
export type A2aPolicy = z.output<typeof A2aPolicySchema>;
export type BudgetsPolicy = z.output<typeof BudgetsPolicySchema>;
export type Budget = BudgetsPolicy[number];
export type RateLimitsPolicy = z.output<typeof RateLimitsPolicySchema>;
export type DataExposurePolicy = z.output<typeof DataExposurePolicySchema>;
export type LoopsPolicy = z.output<typeof LoopsPolicySchema>;

/** The policy sections, in the order the docs and the warnings list them. */
export const POLICY_SECTIONS = ['tools', 'models', 'a2a', 'budgets', 'rateLimits', 'dataExposure', 'loops'] as const satisfies ReadonlyArray<
  keyof AgentSpec
>;
export type PolicySection = (typeof POLICY_SECTIONS)[number];

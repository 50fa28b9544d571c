import { z } from 'zod';
import { WebhookConfigSchema } from '../alerts/webhook-config.js';

const ToolCostSchema = z
  .strictObject({
    usd: z.number().min(0).default(0).describe('USD charged to money budgets per call'),
    tokens: z.number().int().min(0).default(0).describe('Tokens charged to token budgets per call (for tools that front a model)'),
  })
  .describe('What one call of the matching tools costs');

/** `governance`: settings of the budget, rate-limit and loop policies that belong to the gateway, not to one agent. */
export const GovernanceConfigSchema = z
  .strictObject({
    timezone: z
      .string()
      .min(1)
      .default('UTC')
      .refine(isTimeZone, { message: 'must be an IANA time zone name, e.g. UTC or Europe/Berlin' })
      .describe('IANA time zone of calendar budget windows (day and month boundaries)'),
    toolCosts: z
      .record(z.string().regex(/^[A-Za-z0-9_*?-]{1,64}$/, 'must be a tool name or glob'), ToolCostSchema)
      .default({})
      .describe('Per-call cost of tools (glob → cost; the first matching entry in file order wins). Unlisted tools cost 0 USD and 1 call'),
    flushIntervalMs: z.number().int().min(100).max(60_000).default(1_000).describe('How often spend is written to state.db (also at shutdown)'),
    alerts: z
      .strictObject({ webhook: WebhookConfigSchema.optional() })
      .prefault({})
      .describe('Soft-limit and loop alerts: always an audit record and a log line; optionally a webhook'),
  })
  .describe('Budgets, rate limits and loop detection: gateway-wide settings');

export type GovernanceConfig = z.output<typeof GovernanceConfigSchema>;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

import { z } from 'zod';

// zod 4 numbers already refuse NaN and ±Infinity, so min(0) is all a price needs.
const UsdPerMillionTokens = z.number().min(0);

/**
 * What one model costs, in USD per 1M tokens. Used for the default table and for price
 * overrides in config, so the JSON Schema of the config is generated from these descriptions.
 */
export const ModelPriceSchema = z
  .strictObject({
    input: UsdPerMillionTokens.describe('USD per 1M input (prompt) tokens'),
    cachedInput: UsdPerMillionTokens.optional().describe(
      'USD per 1M input tokens served from the provider prompt cache; absent: billed as input',
    ),
    output: UsdPerMillionTokens.describe('USD per 1M output tokens (reasoning tokens included)'),
    longContext: z
      .strictObject({
        aboveInputTokens: z.number().int().positive().describe('The tier applies to a request whose input exceeds this many tokens'),
        input: UsdPerMillionTokens,
        cachedInput: UsdPerMillionTokens.optional(),
        output: UsdPerMillionTokens,
      })
      .optional()
      .describe('A higher price for the whole request when its prompt is long (OpenAI gpt-5.4+, Gemini 2.5 Pro, Claude Sonnet 4/4.5 with 1M context)'),
  })
  // A cache read never costs more than a fresh token; a higher figure is a swapped column.
  .refine((p) => p.cachedInput === undefined || p.cachedInput <= p.input, {
    message: 'cachedInput must not exceed input',
    path: ['cachedInput'],
  })
  .describe('Model price in USD per 1M tokens');

export type ModelPrice = Readonly<z.infer<typeof ModelPriceSchema>>;

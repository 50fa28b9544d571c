import type { Logger } from 'pino';
import type { LlmConfig } from '../config/llm-schema.js';
import type { ConfigIssue } from '../config/issues.js';
import type { Egress } from '../egress/egress.js';
import { PromptEstimator } from './estimate.js';
import { LlmService } from './llm-service.js';
import { ModelDirectory } from './model-directory.js';
import { resolveProviders } from './provider-runtime.js';
import { LlmRouter } from './router.js';
import { ResponseCache } from './cache/index.js';

/** Builds the LLM proxy from its configuration; `issues` lists unresolved provider secrets. */
export async function createLlm(
  config: LlmConfig,
  egress: Egress,
  log: Logger,
  opts: { baseDir: string; file: string; env?: NodeJS.ProcessEnv; preload?: boolean },
): Promise<{ service: LlmService; issues: ConfigIssue[] }> {
  const { providers, issues } = await resolveProviders(config, egress, opts);
  const models = new ModelDirectory(config);
  const estimator = new PromptEstimator({ defaultMaxOutputTokens: config.defaults.maxOutputTokens, heldHistoryTokens: config.defaults.heldInputTokens });
  const router = new LlmRouter({ retries: config.retries, circuitBreaker: config.circuitBreaker });
  // The tokenizers load on first use otherwise, adding 70 to 130 ms each to the first count.
  // Only those of configured models: each vocabulary takes 10 to 20 MB of the tokenizer
  // thread's heap.
  const encodings = models.encodings();
  if (encodings.length > 0 && opts.preload !== false) void estimator.counter().preload(encodings).catch((err: unknown) => log.warn({ err }, 'tokenizer preload failed'));
  const cache = config.cache.maxBytes > 0 ? new ResponseCache(config.cache) : null;
  const service = new LlmService({ providers, models, estimator, router, cache, log: log.child({ component: 'llm' }) });
  return { service, issues };
}

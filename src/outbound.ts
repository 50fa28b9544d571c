/**
 * Everything the gateway calls out to, with every secret reference it needs resolved: the one
 * egress, the LLM proxy's providers and the alert webhook (and a check of the MCP upstreams'
 * references, which their clients resolve again on each connect). Done before anything is
 * written, so a configuration that cannot start leaves no data directory behind.
 */
import type { Logger } from 'pino';
import { AlertWebhook, resolveWebhookConfig } from './alerts/index.js';
import { ConfigError } from './config/issues.js';
import type { LoadedConfig } from './config/load.js';
import { Egress } from './egress/egress.js';
import { createLlm } from './llm/create-llm.js';
import type { LlmService } from './llm/llm-service.js';
import { upstreamSecretIssues } from './mcp/upstream/check-secrets.js';

export interface Outbound {
  egress: Egress;
  llm: LlmService;
  webhook: AlertWebhook | undefined;
}

/** Throws ConfigError listing every reference that does not resolve (nothing is left open then). */
export async function openOutbound(config: LoadedConfig, log: Logger): Promise<Outbound> {
  const file = config.file ?? 'warden.yaml';
  const issues = await upstreamSecretIssues(config.mcp, config.baseDir, file);
  // Every outbound HTTP call of the gateway goes through this one egress.
  const egress = new Egress({ log });
  const llm = await createLlm(config.llm, egress, log, { baseDir: config.baseDir, file });
  issues.push(...llm.issues);
  let webhook: AlertWebhook | undefined;
  if (config.governance.alerts.webhook) {
    const r = await resolveWebhookConfig(config.governance.alerts.webhook, config.baseDir);
    if (r.ok) webhook = new AlertWebhook(r.config, { egress, log });
    else issues.push({ file, path: 'governance.alerts.webhook', message: r.message });
  }
  if (issues.length > 0) {
    await egress.close();
    throw new ConfigError('configuration', issues);
  }
  return { egress, llm: llm.service, webhook };
}

export { AlertWebhook, type AlertEvent, type AlertWebhookDeps } from './alert-webhook.js';
export { WebhookConfigSchema, resolveWebhookConfig, type WebhookConfig, type WebhookSettings } from './webhook-config.js';

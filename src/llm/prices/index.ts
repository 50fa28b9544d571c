export { DEFAULT_PRICES } from './default-prices.js';
export { ModelPriceSchema } from './price-schema.js';
export type { ModelPrice } from './price-schema.js';
export { PriceTable } from './price-table.js';
export { costUsd, usageFromChat, usageFromResponses, worstCaseCostUsd } from './cost.js';
export type { TokenUsage } from './cost.js';

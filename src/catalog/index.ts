/** The agent catalog: schema, loader, live store and generated JSON Schema. */
export {
  AgentSpecSchema,
  AGENT_STATUSES,
  CATALOG_SCHEMA_VERSION,
  POLICY_SECTIONS,
  type A2aPolicy,
  type AgentSpec,
  type AgentSpecInput,
  type Budget,
  type BudgetsPolicy,
  type DataExposurePolicy,
  type LoopsPolicy,
  type ModelsPolicy,
  type PolicySection,
  type RateLimitsPolicy,
  type ToolsPolicy,
} from './agent-schema.js';
export { CLEARANCES, PII_DETECTORS, RISK_CLASSES, SECRET_DETECTORS } from './policy-schemas.js';
export { AGENT_ID_PATTERN } from './schema-primitives.js';
export { ENFORCED_SECTIONS } from './enforced-sections.js';
export { NOT_ENFORCED_MESSAGE, type Agent, type Catalog, type DeepReadonly } from './compile.js';
export { diffCatalogs, type CatalogDiff } from './catalog-diff.js';
export { isAgentFileName } from './catalog-files.js';
export { MAX_AGENT_FILE_BYTES } from './read-agent-file.js';
export { loadCatalog, type LoadCatalogOptions, type LoadCatalogResult } from './load-catalog.js';
export { CatalogStore, type CatalogStoreOptions, type ReloadOutcome } from './catalog-store.js';
export { compileGlob, globMatcher } from './glob.js';
export { AGENT_SCHEMA_PATH, generateAgentJsonSchema, renderAgentJsonSchema, writeAgentJsonSchema } from './json-schema.js';

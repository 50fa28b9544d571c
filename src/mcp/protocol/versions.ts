/**
 * The MCP revisions the gateway speaks to agents. 2026-07-28 is the stateless era
 * (per-request `_meta` envelope, server/discover, no sessions); the others are the
 * session era (initialize, Mcp-Session-Id). 2024-11-05 only arrives over the legacy
 * HTTP+SSE transport, but is accepted on /mcp as well.
 */
export const MODERN_VERSIONS = ['2026-07-28'] as const;
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export const SUPPORTED_VERSIONS: readonly string[] = [...MODERN_VERSIONS, ...LEGACY_VERSIONS];
export const LATEST_LEGACY_VERSION = LEGACY_VERSIONS[0];
export const LATEST_MODERN_VERSION = MODERN_VERSIONS[0];

export const META = {
  protocolVersion: 'io.modelcontextprotocol/protocolVersion',
  clientInfo: 'io.modelcontextprotocol/clientInfo',
  clientCapabilities: 'io.modelcontextprotocol/clientCapabilities',
  serverInfo: 'io.modelcontextprotocol/serverInfo',
  subscriptionId: 'io.modelcontextprotocol/subscriptionId',
  logLevel: 'io.modelcontextprotocol/logLevel',
} as const;

export type Era = 'modern' | 'legacy';

export function isModernVersion(v: string): boolean {
  return (MODERN_VERSIONS as readonly string[]).includes(v);
}

export function isLegacyVersion(v: string): boolean {
  return (LEGACY_VERSIONS as readonly string[]).includes(v);
}

/** The version a legacy `initialize` settles on: the client's if we speak it, else our latest (the client may then disconnect). */
export function negotiateLegacyVersion(requested: unknown): string {
  return typeof requested === 'string' && isLegacyVersion(requested) ? requested : LATEST_LEGACY_VERSION;
}

/** Results of these methods may be `input_required` on 2026-07-28; every other result is `complete`. */
export const MULTI_ROUND_TRIP_METHODS: ReadonlySet<string> = new Set(['tools/call', 'prompts/get', 'resources/read']);

/** 2026-07-28 cacheable results carry ttlMs/cacheScope. The gateway's answers are per agent: private, not cached. */
export const CACHEABLE_METHODS: ReadonlySet<string> = new Set([
  'tools/list',
  'prompts/list',
  'resources/list',
  'resources/templates/list',
  'resources/read',
  'server/discover',
]);

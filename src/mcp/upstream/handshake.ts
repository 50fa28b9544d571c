import { CLIENT_CAPABILITIES_META_KEY, CLIENT_INFO_META_KEY, PROTOCOL_VERSION_META_KEY, SERVER_INFO_META_KEY } from '@modelcontextprotocol/server';
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { UpstreamInfo, UpstreamResponse } from './types.js';

/**
 * Era negotiation with an upstream. 2026-07-28 has no handshake: `server/discover` is a
 * plain request carrying the per-request `_meta` envelope. 2025-11-25 has `initialize`
 * and `notifications/initialized`. In `auto` mode the discover probe runs first and any
 * answer that is not a usable modern one means legacy (the rule of the 2026-07-28
 * specification, and how the SDK v2 client decides): a JSON-RPC error of any code, an
 * HTTP 4xx other than 401/403, or, on stdio only, silence or the process exiting.
 * Network failures, 401/403 and 5xx are failures, not era evidence.
 */
export const MODERN_VERSION = '2026-07-28';
export const LEGACY_VERSION = '2025-11-25';
const LEGACY_VERSIONS = new Set(['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
const UNSUPPORTED_PROTOCOL_VERSION = -32022;
/** A legacy stdio server may ignore requests before initialize: do not wait long for it. */
const STDIO_PROBE_MS = 2000;

export interface ClientIdentity {
  name: string;
  version: string;
}

export interface HandshakeDeps {
  config: UpstreamConfig;
  clientInfo: ClientIdentity;
  send: (method: string, params: Record<string, unknown> | undefined, timeoutMs: number, envelope: Record<string, unknown> | null) => Promise<UpstreamResponse>;
  notify: (method: string) => void;
}

export type HandshakeOutcome =
  | { kind: 'ready'; info: UpstreamInfo }
  /** stdio: the process exited on the probe; spawn it again and use initialize. */
  | { kind: 'respawn-legacy' };

/** What the gateway tells upstreams it can do: sampling and elicitation only where allowed. */
export function clientCapabilities(config: UpstreamConfig): Record<string, unknown> {
  const caps: Record<string, unknown> = {};
  if (config.allowSampling) caps.sampling = {};
  if (config.allowElicitation) caps.elicitation = {};
  return caps;
}

export function modernEnvelope(config: UpstreamConfig, clientInfo: ClientIdentity): Record<string, unknown> {
  return {
    [PROTOCOL_VERSION_META_KEY]: MODERN_VERSION,
    [CLIENT_INFO_META_KEY]: clientInfo,
    [CLIENT_CAPABILITIES_META_KEY]: clientCapabilities(config),
  };
}

/** `knownEra`: what an earlier connection to this upstream found (the era is cached per upstream). */
export async function handshake(deps: HandshakeDeps, knownEra: 'modern' | 'legacy' | null): Promise<HandshakeOutcome> {
  const { config } = deps;
  // HTTP+SSE predates 2026-07-28: there is nothing to probe for.
  const auto = config.transport === 'sse' ? 'legacy' : knownEra;
  const pinned = config.protocol === 'auto' ? auto : config.protocol === MODERN_VERSION ? 'modern' : 'legacy';
  if (pinned === 'legacy') return { kind: 'ready', info: await initialize(deps) };
  if (pinned === 'modern') {
    const verdict = await probe(deps, config.timeouts.connectMs);
    if (verdict.kind === 'modern') return { kind: 'ready', info: verdict.info };
    throw unavailable(config, `does not speak protocol ${MODERN_VERSION} (${verdict.kind === 'legacy' ? verdict.reason : 'it exited on server/discover'})`);
  }
  const probeMs = config.transport === 'stdio' ? Math.min(STDIO_PROBE_MS, config.timeouts.connectMs) : config.timeouts.connectMs;
  const verdict = await probe(deps, probeMs);
  if (verdict.kind === 'modern') return { kind: 'ready', info: verdict.info };
  if (verdict.kind === 'respawn') return { kind: 'respawn-legacy' };
  return { kind: 'ready', info: await initialize(deps) };
}

type Verdict = { kind: 'modern'; info: UpstreamInfo } | { kind: 'legacy'; reason: string } | { kind: 'respawn' };

async function probe(deps: HandshakeDeps, timeoutMs: number): Promise<Verdict> {
  const { config } = deps;
  let res: UpstreamResponse;
  try {
    res = await deps.send('server/discover', undefined, timeoutMs, modernEnvelope(config, deps.clientInfo));
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    const status = err.details?.httpStatus;
    if (typeof status === 'number') {
      if (status === 401 || status === 403 || status >= 500) throw err;
      return { kind: 'legacy', reason: `HTTP ${status}` };
    }
    if (config.transport === 'stdio' && err.code === 'UPSTREAM_TIMEOUT') return { kind: 'legacy', reason: 'no answer to server/discover' };
    if (config.transport === 'stdio' && err.code === 'UPSTREAM_UNAVAILABLE') return { kind: 'respawn' };
    throw err;
  }
  if (res.error) {
    if (res.error.code === UNSUPPORTED_PROTOCOL_VERSION) {
      const supported = (res.error.data as { supported?: unknown } | undefined)?.supported;
      if (Array.isArray(supported) && supported.some((v) => typeof v === 'string' && !LEGACY_VERSIONS.has(v))) {
        throw unavailable(config, `speaks only protocol versions ${supported.slice(0, 8).join(', ')}`);
      }
    }
    return { kind: 'legacy', reason: `server/discover answered error ${res.error.code}` };
  }
  const r = res.result ?? {};
  const versions = r.supportedVersions;
  if (!Array.isArray(versions) || !isObject(r.capabilities)) return { kind: 'legacy', reason: 'server/discover result is not a discover result' };
  if (!versions.includes(MODERN_VERSION)) {
    if (versions.some((v) => typeof v === 'string' && !LEGACY_VERSIONS.has(v))) {
      throw unavailable(config, `speaks only protocol versions ${versions.slice(0, 8).join(', ')}`);
    }
    return { kind: 'legacy', reason: 'no modern version offered' };
  }
  const meta = isObject(r._meta) ? r._meta : {};
  const serverInfo = isServerInfo(meta[SERVER_INFO_META_KEY]) ? meta[SERVER_INFO_META_KEY] : isServerInfo(r.serverInfo) ? r.serverInfo : null;
  return {
    kind: 'modern',
    info: {
      era: 'modern',
      protocolVersion: MODERN_VERSION,
      serverInfo,
      capabilities: r.capabilities,
      ...(typeof r.instructions === 'string' ? { instructions: r.instructions } : {}),
    },
  };
}

async function initialize(deps: HandshakeDeps): Promise<UpstreamInfo> {
  const { config } = deps;
  const res = await deps.send(
    'initialize',
    { protocolVersion: LEGACY_VERSION, capabilities: clientCapabilities(config), clientInfo: deps.clientInfo },
    config.timeouts.connectMs,
    null,
  );
  if (res.error) throw unavailable(config, `refused initialize (${res.error.code}: ${res.error.message.slice(0, 200)})`);
  const r = res.result ?? {};
  const version = r.protocolVersion;
  if (typeof version !== 'string' || !LEGACY_VERSIONS.has(version)) {
    throw new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${config.id} answered initialize with an unsupported protocol version`, {
      details: { protocolVersion: typeof version === 'string' ? version.slice(0, 32) : null },
    });
  }
  if (!isObject(r.capabilities)) throw new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${config.id} answered initialize without capabilities`);
  deps.notify('notifications/initialized');
  return {
    era: 'legacy',
    protocolVersion: version,
    serverInfo: isServerInfo(r.serverInfo) ? r.serverInfo : null,
    capabilities: r.capabilities,
    ...(typeof r.instructions === 'string' ? { instructions: r.instructions } : {}),
  };
}

function unavailable(config: UpstreamConfig, what: string): GatewayError {
  return new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id} ${what}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isServerInfo(v: unknown): v is { name: string; version: string } {
  return isObject(v) && typeof v.name === 'string' && typeof v.version === 'string';
}

/** initialize, ping, logging/setLevel (2025-11-25) and server/discover (2026-07-28). */
import { GatewayError } from '../../../errors/gateway-error.js';
import { SUPPORTED_VERSIONS, negotiateLegacyVersion } from '../../protocol/versions.js';
import type { CallContext, MethodOutcome } from '../call-context.js';

/** The gateway's own capabilities: the same for every agent (what an agent may see is filtered, not advertised). */
export function serverCapabilities(era: 'modern' | 'legacy'): Record<string, unknown> {
  return {
    tools: { listChanged: true },
    prompts: { listChanged: true },
    resources: era === 'legacy' ? { listChanged: true, subscribe: true } : { listChanged: true },
    completions: {},
    ...(era === 'legacy' ? { logging: {} } : {}),
  };
}

export function initialize(c: CallContext): MethodOutcome {
  const p = c.ctx.principal;
  if (p?.kind !== 'agent') throw new GatewayError('UNAUTHENTICATED', 'Missing or invalid credentials');
  const version = negotiateLegacyVersion(c.params.protocolVersion);
  const caps = c.params.capabilities;
  const info = c.params.clientInfo;
  const fields = {
    protocolVersion: version,
    clientInfo: info !== null && typeof info === 'object' ? (info as Record<string, unknown>) : null,
    clientCapabilities: caps !== null && typeof caps === 'object' ? (caps as Record<string, unknown>) : {},
  };
  // A legacy HTTP+SSE session exists from its GET onwards; Streamable HTTP sessions start here.
  let session = c.payload.session;
  if (session) Object.assign(session, fields);
  else {
    session = c.deps.sessions.create({ agentId: p.agentId, keyId: p.keyId, ...fields });
    c.exchange.setHeader('mcp-session-id', session.id);
  }
  return {
    kind: 'result',
    result: {
      protocolVersion: version,
      capabilities: serverCapabilities('legacy'),
      serverInfo: { ...c.deps.serverInfo, title: 'Warden MCP gateway' },
      ...(c.deps.instructions ? { instructions: c.deps.instructions } : {}),
    },
    details: { protocolVersion: version, session: session.id.slice(0, 8) },
  };
}

export function discover(c: CallContext): MethodOutcome {
  return {
    kind: 'result',
    result: {
      supportedVersions: [...SUPPORTED_VERSIONS],
      // Asked inside a 2025-11-25 session, it describes what that session can use.
      capabilities: serverCapabilities(c.payload.inbound.era),
      serverInfo: { ...c.deps.serverInfo, title: 'Warden MCP gateway' },
      ...(c.deps.instructions ? { instructions: c.deps.instructions } : {}),
    },
  };
}

export function ping(): MethodOutcome {
  return { kind: 'result', result: {} };
}

const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];

export function setLevel(c: CallContext): MethodOutcome {
  const level = c.params.level;
  if (typeof level !== 'string' || !LOG_LEVELS.includes(level)) throw new GatewayError('INVALID_PARAMS', `level must be one of ${LOG_LEVELS.join(', ')}`);
  if (c.payload.session) c.payload.session.logLevel = level;
  return { kind: 'result', result: {} };
}

/** Whether a notifications/message at `level` passes the session's logging/setLevel threshold. */
export function logLevelPasses(threshold: string | null, level: unknown): boolean {
  if (threshold === null || typeof level !== 'string') return true;
  return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(threshold);
}

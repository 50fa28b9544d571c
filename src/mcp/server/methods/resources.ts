/**
 * resources/list, resources/templates/list, resources/read and (2025-11-25) subscribe /
 * unsubscribe. URIs are public (`<upstream>+<uri>`) on the agent side and the upstream's
 * own on the upstream side; URIs inside results are rewritten back to public ones.
 */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import { forwardToUpstream } from '../forward.js';
import { normalizeUri } from '../../uri-normalize.js';

export function listResources(c: CallContext): MethodOutcome {
  const { resources } = c.deps.views.listing(c.agent);
  return { kind: 'result', result: { resources: resources.map((r) => r.definition) }, details: { count: resources.length } };
}

export function listResourceTemplates(c: CallContext): MethodOutcome {
  const { templates } = c.deps.views.listing(c.agent);
  return { kind: 'result', result: { resourceTemplates: templates.map((t) => t.definition) }, details: { count: templates.length } };
}

function upstreamUri(c: CallContext): { upstream: string; uri: string; publicUri: string } {
  const uri = c.params.uri;
  const parsed = typeof uri === 'string' ? c.deps.directory.uris.fromPublic(uri) : null;
  if (!parsed || !c.deps.directory.upstream(parsed.upstream)) throw new GatewayError('TOOL_NOT_FOUND', `Unknown resource: ${String(uri).slice(0, 200)}`);
  // The spelling authorize-target decided on (normalized) is the one forwarded.
  const normalized = normalizeUri(parsed.uri);
  return { upstream: parsed.upstream, uri: normalized, publicUri: c.deps.directory.uris.toPublic(parsed.upstream, normalized) };
}

export async function readResource(c: CallContext): Promise<MethodOutcome> {
  const { upstream, uri } = upstreamUri(c);
  const out = await forwardToUpstream(c, upstream, 'resources/read', { ...c.params, uri }, { uri: uri.slice(0, 200) });
  if (out.kind === 'result' && Array.isArray(out.result.contents)) {
    out.result.contents = out.result.contents.map((item: unknown) =>
      item !== null && typeof item === 'object' && typeof (item as { uri?: unknown }).uri === 'string'
        ? { ...(item as Record<string, unknown>), uri: c.deps.directory.uris.toPublic(upstream, (item as { uri: string }).uri) }
        : item,
    );
  }
  return out;
}

export async function subscribe(c: CallContext, on: boolean): Promise<MethodOutcome> {
  const session = c.payload.session;
  if (!session) throw new GatewayError('NOT_FOUND', 'resources/subscribe needs a 2025-11-25 session; use subscriptions/listen');
  const { upstream, uri, publicUri } = upstreamUri(c);
  const details = { uri: uri.slice(0, 200), upstream };
  if (!on) {
    session.subscriptions.delete(publicUri);
    c.deps.resourceSubscriptions.release(session, publicUri);
    return { kind: 'result', result: {}, details };
  }
  const client = c.deps.directory.upstream(upstream)!;
  if (client.state !== 'ready') throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${upstream} is not available`, { headers: { 'retry-after': '5' } });
  // The upstream connection is shared: the first holder subscribes upstream, the last one unsubscribes.
  const res = await c.deps.resourceSubscriptions.acquire(session, publicUri, { signal: c.ctx.abort.signal });
  if (res?.error) return { kind: 'upstream-error', error: res.error, details: { ...details, upstreamError: res.error.code } };
  session.subscriptions.add(publicUri);
  // An upstream that will send no updates still answers {}, as a 2025-11-25 server that never sends them would.
  return { kind: 'result', result: {}, details: { ...details, ...(res === null ? { shared: true } : {}), ...(res?.honored === false ? { honored: false } : {}) } };
}

/**
 * resources/list, resources/templates/list, resources/read and (2025-11-25) subscribe /
 * unsubscribe. URIs are public (`<upstream>+<uri>`) on the agent side and the upstream's
 * own on the upstream side; URIs inside results are rewritten back to public ones.
 */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import { forwardToUpstream } from '../forward.js';

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
  return { ...parsed, publicUri: uri as string };
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
  const client = c.deps.directory.upstream(upstream)!;
  if (on && client.state !== 'ready') {
    throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${upstream} is not available`, { headers: { 'retry-after': '5' } });
  }
  const had = session.subscriptions.has(publicUri);
  if (on) session.subscriptions.add(publicUri);
  else session.subscriptions.delete(publicUri);
  // The upstream connection is shared: subscribe once, unsubscribe when nobody listens any more.
  const others = [...c.deps.sessions.all()].some((s) => s !== session && s.subscriptions.has(publicUri));
  if (others || had === on) return { kind: 'result', result: {}, details: { ...details, ...(others ? { shared: true } : {}) } };
  // The client speaks the upstream's era: resources/subscribe, or its subscriptions/listen stream.
  const undo = () => {
    if (on) session.subscriptions.delete(publicUri);
  };
  let res;
  try {
    res = on ? await client.subscribeResource(uri, { signal: c.ctx.signal }) : await client.unsubscribeResource(uri);
  } catch (err) {
    undo();
    throw err;
  }
  if (res.error) {
    undo();
    return { kind: 'upstream-error', error: res.error, details: { ...details, upstreamError: res.error.code } };
  }
  // An upstream that will send no updates still answers {}, as a 2025-11-25 server that never sends them would.
  return { kind: 'result', result: {}, details: 'honored' in res && res.honored === false ? { ...details, honored: false } : details };
}

/** subscriptions/listen (2026-07-28): a long-lived stream of the notifications the client opted in to. */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import type { ListenFilter } from '../subscriptions.js';
import { META } from '../../protocol/versions.js';
import { resourceAccessNameFor } from '../../../policy/authorize-target.js';
import { toolPermitted } from '../../../policy/tool-access.js';

export function listen(c: CallContext): MethodOutcome {
  const raw = c.params.notifications;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new GatewayError('INVALID_PARAMS', 'notifications must be an object');
  const n = raw as Record<string, unknown>;
  const filter: ListenFilter = {};
  // Only the kinds this gateway can deliver are acknowledged.
  if (n.toolsListChanged === true) filter.toolsListChanged = true;
  if (n.promptsListChanged === true) filter.promptsListChanged = true;
  if (n.resourcesListChanged === true) filter.resourcesListChanged = true;
  if (Array.isArray(n.resourceSubscriptions)) {
    // Only resources this agent may read: the same rule as resources/read.
    filter.resourceSubscriptions = n.resourceSubscriptions
      .filter((u): u is string => typeof u === 'string')
      .slice(0, 1000)
      .filter((u) => {
        const access = resourceAccessNameFor(c.deps.directory, u);
        return access !== undefined && toolPermitted(c.agent, access, 'read-only');
      });
  }
  const id = (c.payload.inbound.message as { id: string | number }).id;
  const release = c.exchange.becomeStream(c.deps.streams, c.agent.id);
  const stream = c.exchange.stream();
  stream.onEnd(release);
  stream.send({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { notifications: filter, _meta: { [META.subscriptionId]: id } } });
  const keyId = c.ctx.principal?.kind === 'agent' ? c.ctx.principal.keyId : '';
  // Upstreams send resources/updated only for what someone subscribed to there.
  const holder = c.deps.subscriptions.listen(c.agent, keyId, filter, stream, id);
  for (const uri of filter.resourceSubscriptions ?? []) {
    c.deps.resourceSubscriptions.acquire(holder, uri).catch((err: unknown) => c.ctx.log.warn({ err: (err as Error).message }, 'subscribing a resource upstream failed'));
  }
  return { kind: 'streaming', details: { filter: Object.keys(filter) } };
}

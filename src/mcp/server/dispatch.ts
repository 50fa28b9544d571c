/**
 * The allowlist of client-to-server methods and who serves them. Anything else is
 * "method not found": method strings are compared exactly, so `tools/CALL` or
 * `tools/call/../x` never reach an upstream.
 */
import { GatewayError } from '../../errors/gateway-error.js';
import type { Era } from '../protocol/versions.js';
import type { CallContext, MethodOutcome } from './call-context.js';
import { complete } from './methods/completion.js';
import { discover, initialize, ping, setLevel } from './methods/lifecycle.js';
import { listen } from './methods/listen.js';
import { getPrompt, listPrompts } from './methods/prompts.js';
import { listResourceTemplates, listResources, readResource, subscribe } from './methods/resources.js';
import { callTool, listTools } from './methods/tools.js';

type Handler = (c: CallContext) => MethodOutcome | Promise<MethodOutcome>;

interface MethodSpec {
  eras: readonly Era[];
  handle: Handler;
}

const BOTH: readonly Era[] = ['legacy', 'modern'];

const METHODS: ReadonlyMap<string, MethodSpec> = new Map<string, MethodSpec>([
  ['initialize', { eras: ['legacy'], handle: initialize }],
  ['ping', { eras: ['legacy'], handle: ping }],
  ['logging/setLevel', { eras: ['legacy'], handle: setLevel }],
  ['server/discover', { eras: BOTH, handle: discover }],
  ['subscriptions/listen', { eras: ['modern'], handle: listen }],
  ['tools/list', { eras: BOTH, handle: listTools }],
  ['tools/call', { eras: BOTH, handle: callTool }],
  ['prompts/list', { eras: BOTH, handle: listPrompts }],
  ['prompts/get', { eras: BOTH, handle: getPrompt }],
  ['resources/list', { eras: BOTH, handle: listResources }],
  ['resources/templates/list', { eras: BOTH, handle: listResourceTemplates }],
  ['resources/read', { eras: BOTH, handle: readResource }],
  ['resources/subscribe', { eras: ['legacy'], handle: (c) => subscribe(c, true) }],
  ['resources/unsubscribe', { eras: ['legacy'], handle: (c) => subscribe(c, false) }],
  ['completion/complete', { eras: BOTH, handle: complete }],
]);

export async function dispatchRequest(c: CallContext, method: string): Promise<MethodOutcome> {
  const spec = METHODS.get(method);
  if (!spec || !spec.eras.includes(c.payload.inbound.era)) throw new GatewayError('NOT_FOUND', `Method not found: ${method.slice(0, 128)}`);
  return spec.handle(c);
}

/** Client notifications: the ones that mean something to the gateway act; the rest are accepted and dropped. */
export function dispatchNotification(c: CallContext, method: string): MethodOutcome {
  const session = c.payload.session;
  switch (method) {
    case 'notifications/initialized':
      if (session) session.initialized = true;
      return { kind: 'accepted' };
    case 'notifications/cancelled': {
      const requestId = c.params.requestId;
      const inFlight = session && (typeof requestId === 'string' || typeof requestId === 'number') ? session.inFlight.get(requestId) : undefined;
      inFlight?.abort(new Error('cancelled by the client'));
      return { kind: 'accepted', details: { cancelled: inFlight !== undefined } };
    }
    default:
      return { kind: 'accepted', details: { ignored: true } };
  }
}

/** completion/complete: routed by the prompt or resource template it completes. */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import { forwardToUpstream } from '../forward.js';

export async function complete(c: CallContext): Promise<MethodOutcome> {
  const ref = c.params.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') {
    const prompt = c.deps.directory.prompt(ref.name);
    if (!prompt) throw new GatewayError('TOOL_NOT_FOUND', `Unknown prompt: ${ref.name.slice(0, 200)}`);
    return forwardToUpstream(c, prompt.upstream, 'completion/complete', { ...c.params, ref: { ...ref, name: prompt.upstreamName } }, {});
  }
  if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') {
    const parsed = c.deps.directory.uris.fromPublic(ref.uri);
    if (!parsed) throw new GatewayError('TOOL_NOT_FOUND', `Unknown resource: ${ref.uri.slice(0, 200)}`);
    return forwardToUpstream(c, parsed.upstream, 'completion/complete', { ...c.params, ref: { ...ref, uri: parsed.uri } }, {});
  }
  throw new GatewayError('INVALID_PARAMS', 'ref must be a ref/prompt with a name or a ref/resource with a uri');
}

/** The policy target of a completion request. */
export function completionTarget(params: Record<string, unknown> | undefined): string | null {
  const ref = params?.ref as { type?: unknown; name?: unknown; uri?: unknown } | undefined;
  if (ref?.type === 'ref/prompt' && typeof ref.name === 'string') return `prompt:${ref.name}`;
  if (ref?.type === 'ref/resource' && typeof ref.uri === 'string') return `resource:${ref.uri}`;
  return null;
}

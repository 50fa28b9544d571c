/** prompts/list and prompts/get, namespaced like tools. */
import { GatewayError } from '../../../errors/gateway-error.js';
import type { CallContext, MethodOutcome } from '../call-context.js';
import { forwardToUpstream } from '../forward.js';
import { publicizePromptResult } from '../result-uris.js';

export function listPrompts(c: CallContext): MethodOutcome {
  const { prompts } = c.deps.views.listing(c.agent);
  return { kind: 'result', result: { prompts: prompts.map((p) => p.definition) }, details: { count: prompts.length } };
}

export async function getPrompt(c: CallContext): Promise<MethodOutcome> {
  const name = c.params.name;
  if (typeof name !== 'string') throw new GatewayError('INVALID_PARAMS', 'params.name must be a string');
  const prompt = c.deps.directory.prompt(name);
  if (!prompt) throw new GatewayError('TOOL_NOT_FOUND', `Unknown prompt: ${String(name).slice(0, 200)}`);
  const out = await forwardToUpstream(c, prompt.upstream, 'prompts/get', { ...c.params, name: prompt.upstreamName }, { prompt: prompt.upstreamName });
  if (out.kind === 'result') publicizePromptResult(out.result, prompt.upstream, c.deps.directory.uris);
  return out;
}

/**
 * What an agent may see and call among the gateway's tools (and the prompts and resources
 * namespaced like them), from the catalog's `tools` section. Shared by the
 * authorize-target policy (calls) and by listings, so "hidden" and "refused" can never
 * disagree. Default deny: an agent without a `tools` section sees nothing.
 */
import type { Agent } from '../catalog/index.js';
import { globMatcher } from '../catalog/index.js';

export type RiskClass = 'read-only' | 'write' | 'destructive';

interface CompiledToolAccess {
  allowName: (name: string) => boolean;
  denyName: (name: string) => boolean;
  risks: ReadonlySet<RiskClass>;
}

const NOTHING: CompiledToolAccess = { allowName: () => false, denyName: () => true, risks: new Set() };

/** Agents are frozen per catalog version, so compiled matchers live exactly as long as their agent. */
const compiled = new WeakMap<Agent, CompiledToolAccess>();

function access(agent: Agent): CompiledToolAccess {
  let c = compiled.get(agent);
  if (c) return c;
  const tools = agent.tools;
  if (!tools) c = NOTHING;
  else {
    const denyRisk = new Set<string>(tools.riskClasses.deny);
    c = {
      allowName: globMatcher(tools.allow),
      denyName: globMatcher(tools.deny),
      risks: new Set(tools.riskClasses.allow.filter((r) => !denyRisk.has(r)) as RiskClass[]),
    };
  }
  compiled.set(agent, c);
  return c;
}

/** True when the agent may see and call `name` (a namespaced public name) of this risk class. */
export function toolPermitted(agent: Agent, name: string, risk: RiskClass): boolean {
  const a = access(agent);
  return a.risks.has(risk) && a.allowName(name) && !a.denyName(name);
}

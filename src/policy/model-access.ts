/**
 * Which public model names (models and aliases) an agent may use, from the catalog's
 * `models` section. routePermitted is shared by the authorize-target policy and by
 * GET /v1/models, so "listed" and "permitted" can never disagree. Default deny: no section,
 * no models.
 */
import type { Agent } from '../catalog/index.js';
import { globMatcher } from '../catalog/index.js';

interface CompiledModelAccess {
  allow: (name: string) => boolean;
  deny: (name: string) => boolean;
}

const NOTHING: CompiledModelAccess = { allow: () => false, deny: () => true };

/** Agents are frozen per catalog version, so compiled matchers live exactly as long as their agent. */
const compiled = new WeakMap<Agent, CompiledModelAccess>();

export function modelPermitted(agent: Agent, name: string): boolean {
  let c = compiled.get(agent);
  if (!c) {
    c = agent.models ? { allow: globMatcher(agent.models.allow), deny: globMatcher(agent.models.deny) } : NOTHING;
    compiled.set(agent, c);
  }
  return c.allow(name) && !c.deny(name);
}

/** True when the agent's deny globs name the model: an alias may not reach it either. */
export function modelDenied(agent: Agent, name: string): boolean {
  modelPermitted(agent, name);
  return compiled.get(agent)!.deny(name);
}

/**
 * Whether the agent may use a model or alias: allowed by its own name, and, for an alias,
 * none of its targets named by the agent's deny globs (an alias never leads around a deny).
 */
export function routePermitted(agent: Agent, route: { name: string; alias: boolean; allTargets: ReadonlyArray<{ name: string }> }): boolean {
  return modelPermitted(agent, route.name) && !(route.alias && route.allTargets.some((t) => modelDenied(agent, t.name)));
}

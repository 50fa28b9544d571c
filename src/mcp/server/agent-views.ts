/**
 * Per-agent listings, computed once per (agent, directory generation) and reused: an
 * agent that lists tools on every turn costs a map lookup, not a filter over every tool.
 */
import { createHash } from 'node:crypto';
import type { Agent } from '../../catalog/index.js';
import { toolPermitted } from '../../policy/tool-access.js';
import type { McpDirectory, PromptView, ResourceTemplateView, ResourceView, ToolView } from '../directory-types.js';

export interface AgentListing {
  readonly generation: number;
  readonly tools: readonly ToolView[];
  readonly prompts: readonly PromptView[];
  readonly resources: readonly ResourceView[];
  readonly templates: readonly ResourceTemplateView[];
  /** Fingerprints of what the agent sees, to send list_changed only on real changes. */
  readonly digests: { tools: string; prompts: string; resources: string };
}

export class AgentViews {
  readonly #dir: McpDirectory;
  #cache = new WeakMap<Agent, AgentListing>();

  constructor(directory: McpDirectory) {
    this.#dir = directory;
  }

  listing(agent: Agent): AgentListing {
    const gen = this.#dir.generation;
    const hit = this.#cache.get(agent);
    if (hit && hit.generation === gen) return hit;
    const tools = this.#dir.tools().filter((t) => t.listed && t.status === 'approved' && toolPermitted(agent, t.name, t.risk));
    const prompts = this.#dir.prompts().filter((p) => toolPermitted(agent, p.name, 'read-only'));
    const resources = this.#dir.resources().filter((r) => toolPermitted(agent, r.accessName, 'read-only'));
    const templates = this.#dir.resourceTemplates().filter((r) => toolPermitted(agent, r.accessName, 'read-only'));
    const listing: AgentListing = {
      generation: gen,
      tools,
      prompts,
      resources,
      templates,
      digests: {
        tools: digest(tools.map((t) => `${t.name}:${t.hash}`)),
        prompts: digest(prompts.map((p) => `${p.name}:${JSON.stringify(p.definition)}`)),
        resources: digest([...resources.map((r) => r.uri), ...templates.map((t) => t.uriTemplate)]),
      },
    };
    this.#cache.set(agent, listing);
    return listing;
  }

  /** The tool if this agent may call it: approved and permitted. Quarantined tools are reported by the policy. */
  visibleTool(agent: Agent, name: string): ToolView | undefined {
    const t = this.#dir.tool(name);
    return t && toolPermitted(agent, t.name, t.risk) ? t : undefined;
  }
}

function digest(items: string[]): string {
  return createHash('sha256').update(items.join('\n')).digest('base64url').slice(0, 22);
}

/**
 * What the MCP server side reads about tools, prompts and resources: one namespaced view
 * over every upstream (and, later, OpenAPI imports). Reads are in-memory and cheap; the
 * view changes only when an upstream's listing or an approval changes.
 */
import type { RiskClass } from '../policy/tool-access.js';
import type { UriNamespace } from './resource-uris.js';
import type { UpstreamClient } from './upstream/types.js';

export interface ToolView {
  /** Public, namespaced name (`<upstream>__<tool>`), at most 64 characters. */
  readonly name: string;
  /** An upstream MCP server's tool, or an operation of an OpenAPI import (`upstream` is then the import's namespace). */
  readonly kind: 'mcp' | 'openapi';
  readonly upstream: string;
  /** The tool's name at its upstream. */
  readonly upstreamName: string;
  /** The definition agents see (public name, gateway annotations). */
  readonly definition: Readonly<Record<string, unknown>>;
  readonly hash: string;
  readonly risk: RiskClass;
  readonly status: 'approved' | 'pending' | 'rejected';
  /** Shown by tools/list (false: an operation of an import in discovery mode, reached through its search and call tools). */
  readonly listed: boolean;
}

export interface PromptView {
  readonly name: string;
  readonly upstream: string;
  readonly upstreamName: string;
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface ResourceView {
  /** Public URI: `<upstream>+<original uri>`. */
  readonly uri: string;
  readonly upstream: string;
  readonly upstreamUri: string;
  /** Name used for visibility checks: `<upstream>__<resource name>`. */
  readonly accessName: string;
  readonly definition: Readonly<Record<string, unknown>>;
}

export interface ResourceTemplateView {
  readonly uriTemplate: string;
  readonly upstream: string;
  readonly accessName: string;
  readonly definition: Readonly<Record<string, unknown>>;
}

export type ListKind = 'tools' | 'prompts' | 'resources';

export interface McpDirectory {
  /** Bumps whenever anything listed changes. */
  readonly generation: number;
  /** How resource URIs map between agents and upstreams. */
  readonly uris: UriNamespace;
  tool(name: string): ToolView | undefined;
  tools(): readonly ToolView[];
  prompt(name: string): PromptView | undefined;
  prompts(): readonly PromptView[];
  resources(): readonly ResourceView[];
  resourceTemplates(): readonly ResourceTemplateView[];
  upstream(id: string): UpstreamClient | undefined;
  onChanged(listener: (kind: ListKind) => void): () => void;
}

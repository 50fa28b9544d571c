/**
 * Server-to-client notifications outside any request: list_changed and resources/updated.
 * 2025-11-25 clients receive them on their session's GET stream; 2026-07-28 clients on a
 * `subscriptions/listen` stream, and only the kinds they asked for. A client is told a
 * list changed only when what *it* may see changed, so one agent's tools never leak into
 * another agent's notifications, not even as timing.
 */
import type { Agent, Catalog } from '../../catalog/index.js';
import type { ListKind } from '../directory-types.js';
import { META } from '../protocol/versions.js';
import type { AgentViews } from './agent-views.js';
import type { ResourceSubscriptions } from './resource-subscriptions.js';
import type { SessionStore } from './sessions.js';
import type { SseStream } from './sse-stream.js';

export interface ListenFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

interface Listener {
  agentId: string;
  keyId: string;
  filter: ListenFilter;
  stream: SseStream;
  subscriptionId: string | number;
  digests: { tools: string; prompts: string; resources: string };
}

const METHOD: Record<ListKind, string> = {
  tools: 'notifications/tools/list_changed',
  prompts: 'notifications/prompts/list_changed',
  resources: 'notifications/resources/list_changed',
};

export class Subscriptions {
  readonly #listeners = new Set<Listener>();
  readonly #sessions: SessionStore;
  readonly #views: AgentViews;
  readonly #catalog: () => Catalog;
  readonly #resources: ResourceSubscriptions;
  readonly #mayRead: (agent: Agent, publicUri: string) => boolean;

  constructor(opts: {
    sessions: SessionStore;
    views: AgentViews;
    catalog: () => Catalog;
    resources: ResourceSubscriptions;
    /** Whether the agent may (still) read the resource: subscriptions are re-checked on every change. */
    mayRead: (agent: Agent, publicUri: string) => boolean;
  }) {
    this.#sessions = opts.sessions;
    this.#views = opts.views;
    this.#catalog = opts.catalog;
    this.#resources = opts.resources;
    this.#mayRead = opts.mayRead;
  }

  /**
   * A 2026-07-28 `subscriptions/listen` stream. The returned listener holds its resource
   * subscriptions (ResourceSubscriptions), released when the stream ends.
   */
  listen(agent: Agent, keyId: string, filter: ListenFilter, stream: SseStream, subscriptionId: string | number): object {
    const l: Listener = { agentId: agent.id, keyId, filter, stream, subscriptionId, digests: { ...this.#views.listing(agent).digests } };
    this.#listeners.add(l);
    stream.onEnd(() => {
      this.#listeners.delete(l);
      this.#resources.releaseAll(l);
    });
    return l;
  }

  /** Re-checks every open stream after the directory or the catalog changed. */
  recheck(kinds: readonly ListKind[] = ['tools', 'prompts', 'resources']): void {
    const catalog = this.#catalog();
    if (kinds.includes('resources')) this.#dropUnreadable(catalog);
    for (const s of this.#sessions.all()) {
      if (!s.stream || s.stream.ended) continue;
      const agent = catalog.agents.get(s.agentId);
      if (!agent) continue;
      const d = this.#views.listing(agent).digests;
      for (const kind of kinds) {
        const key = kind === 'tools' ? 'visibleToolsDigest' : kind === 'prompts' ? 'visiblePromptsDigest' : 'visibleResourcesDigest';
        if (s[key] !== null && s[key] !== d[kind]) s.stream.send({ jsonrpc: '2.0', method: METHOD[kind] });
        s[key] = d[kind];
      }
    }
    for (const l of this.#listeners) {
      const agent = catalog.agents.get(l.agentId);
      if (!agent) continue;
      const d = this.#views.listing(agent).digests;
      for (const kind of kinds) {
        const wanted = kind === 'tools' ? l.filter.toolsListChanged : kind === 'prompts' ? l.filter.promptsListChanged : l.filter.resourcesListChanged;
        if (wanted && l.digests[kind] !== d[kind]) {
          l.stream.send({ jsonrpc: '2.0', method: METHOD[kind], params: { _meta: { [META.subscriptionId]: l.subscriptionId } } });
        }
        l.digests[kind] = d[kind];
      }
    }
  }

  /** A permission withdrawn (catalog edit, resource delisted) withdraws the subscriptions that relied on it. */
  #dropUnreadable(catalog: Catalog): void {
    for (const s of this.#sessions.all()) {
      const agent = catalog.agents.get(s.agentId);
      for (const uri of [...s.subscriptions]) {
        if (agent && this.#mayRead(agent, uri)) continue;
        s.subscriptions.delete(uri);
        this.#resources.release(s, uri);
      }
    }
    for (const l of this.#listeners) {
      const agent = catalog.agents.get(l.agentId);
      const uris = l.filter.resourceSubscriptions;
      if (!uris) continue;
      const kept = uris.filter((uri) => agent !== undefined && this.#mayRead(agent, uri));
      for (const uri of uris) if (!kept.includes(uri)) this.#resources.release(l, uri);
      l.filter.resourceSubscriptions = kept;
    }
  }

  /** notifications/resources/updated for a public URI, to whoever subscribed to it. */
  resourceUpdated(publicUri: string): void {
    for (const s of this.#sessions.all()) {
      if (s.stream && s.subscriptions.has(publicUri)) s.stream.send({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: publicUri } });
    }
    for (const l of this.#listeners) {
      if (l.filter.resourceSubscriptions?.includes(publicUri)) {
        l.stream.send({
          jsonrpc: '2.0',
          method: 'notifications/resources/updated',
          params: { uri: publicUri, _meta: { [META.subscriptionId]: l.subscriptionId } },
        });
      }
    }
  }

  /** Ends every listen stream (shutdown). */
  closeAll(): void {
    for (const l of [...this.#listeners]) l.stream.end();
  }

  /** Ends the streams whose key or agent may no longer be used. */
  closeWhere(stale: (agentId: string, keyId: string) => boolean): number {
    let n = 0;
    for (const l of [...this.#listeners]) {
      if (stale(l.agentId, l.keyId)) {
        l.stream.end();
        n++;
      }
    }
    return n;
  }
}

/**
 * The MCP capability, assembled: upstream connections, the tool registry (pinning and
 * quarantine), prompts/resources, per-agent views, sessions and notification fan-out.
 * app.ts creates one and mounts its router; the policy chain reads its directory.
 */
import type { Logger } from 'pino';
import type { AuditSink } from '../audit/record.js';
import type { Catalog } from '../catalog/index.js';
import type { McpConfig } from '../config/mcp-schema.js';
import type { Egress } from '../egress/egress.js';
import type { StateStore } from '../state/state-store.js';
import type { ListKind, McpDirectory, ToolView } from './directory-types.js';
import { PromptResourceMirror } from './prompt-resource-mirror.js';
import { ToolRegistry, type ToolEntry } from './registry/tool-registry.js';
import { publicToolName } from './registry/tool-names.js';
import { UriNamespace } from './resource-uris.js';
import { resourceAccessNameFor } from '../policy/authorize-target.js';
import { toolPermitted } from '../policy/tool-access.js';
import { AgentViews } from './server/agent-views.js';
import type { McpServerDeps } from './server/call-context.js';
import { ResourceSubscriptions } from './server/resource-subscriptions.js';
import { SessionStore } from './server/sessions.js';
import { StreamQuota } from './server/stream-quota.js';
import { Subscriptions } from './server/subscriptions.js';
import { UpstreamClientImpl } from './upstream/client.js';
import type { UpstreamClient } from './upstream/types.js';

export interface McpGatewayOptions {
  config: McpConfig;
  state: StateStore;
  audit: AuditSink;
  log: Logger;
  catalog: () => Catalog;
  baseDir?: string;
  version: string;
  /** The gateway's one egress: remote upstreams connect through it. */
  egress?: Egress;
}

export class McpGateway implements McpDirectory {
  readonly registry: ToolRegistry;
  readonly sessions: SessionStore;
  readonly subscriptions: Subscriptions;
  readonly resourceSubscriptions: ResourceSubscriptions;
  readonly views: AgentViews;
  readonly serverDeps: McpServerDeps;
  readonly uris: UriNamespace;
  readonly #upstreams = new Map<string, UpstreamClient>();
  readonly #mirror: PromptResourceMirror;
  readonly #log: Logger;
  readonly #listeners = new Set<(kind: ListKind) => void>();
  readonly #unsubscribe: Array<() => void> = [];
  #generation = 0;
  #toolViews: readonly ToolView[] = [];
  #toolIndex = new Map<string, ToolView>();

  constructor(opts: McpGatewayOptions) {
    this.#log = opts.log.child({ component: 'mcp' });
    this.registry = new ToolRegistry({ state: opts.state, audit: opts.audit, log: this.#log });
    const unprefixed = opts.config.upstreams.find((u) => !u.prefix)?.id ?? null;
    this.uris = new UriNamespace(
      opts.config.upstreams.filter((u) => u.prefix).map((u) => u.id),
      unprefixed,
    );
    this.#mirror = new PromptResourceMirror({
      log: this.#log,
      namer: (upstream, name) => publicToolName(upstream === unprefixed ? null : upstream, name),
      uris: this.uris,
      onChange: (k) => this.#changed(k),
    });
    this.views = new AgentViews(this);
    this.resourceSubscriptions = new ResourceSubscriptions(this, this.#log);
    this.sessions = new SessionStore({
      idleMs: opts.config.sessionIdleMs,
      maxPerAgent: opts.config.maxSessionsPerAgent,
      onClose: (s) => this.resourceSubscriptions.releaseAll(s),
    });
    this.subscriptions = new Subscriptions({
      sessions: this.sessions,
      views: this.views,
      catalog: opts.catalog,
      resources: this.resourceSubscriptions,
      mayRead: (agent, uri) => {
        const access = resourceAccessNameFor(this, uri);
        return access !== undefined && toolPermitted(agent, access, 'read-only');
      },
    });
    // Quarantined tools are not "exposed" but must be known, so a call to one says so.
    this.#unsubscribe.push(this.registry.on('changed', () => this.#rebuildTools()));
    this.#unsubscribe.push(this.registry.on('quarantined', () => this.#rebuildTools()));
    this.onChanged((kind) => this.subscriptions.recheck([kind]));
    for (const u of opts.config.upstreams) {
      const client = new UpstreamClientImpl(u, {
        log: this.#log, // the client adds the upstream id to its log lines
        clientInfo: { name: 'warden-gateway', version: opts.version },
        ...(opts.baseDir ? { baseDir: opts.baseDir } : {}),
        maxNotificationsPerSecond: opts.config.maxNotificationsPerSecond,
        ...(opts.egress ? { egress: opts.egress } : {}),
      });
      this.#upstreams.set(u.id, client);
      client.on('state', (state) => {
        if (state === 'ready') this.#refresh(client, ['tools', 'prompts', 'resources']);
        else if (state === 'failed' || state === 'closed') this.#mirror.drop(client.id);
      });
      client.on('listChanged', (kind) => this.#refresh(client, [kind]));
      client.on('notification', (n) => {
        if (n.method === 'notifications/resources/updated' && typeof n.params?.uri === 'string') {
          this.subscriptions.resourceUpdated(this.uris.toPublic(client.id, n.params.uri));
        }
      });
    }
    this.serverDeps = {
      config: opts.config,
      directory: this,
      views: this.views,
      sessions: this.sessions,
      subscriptions: this.subscriptions,
      resourceSubscriptions: this.resourceSubscriptions,
      streams: new StreamQuota(opts.config.maxStreamsPerAgent, opts.config.maxStreams),
      audit: opts.audit,
      serverInfo: { name: 'warden', version: opts.version },
    };
  }

  /** Connects every upstream in the background: one slow or broken upstream never blocks start-up. */
  start(): void {
    for (const u of this.#upstreams.values()) {
      u.start().catch((err: unknown) => this.#log.warn({ upstream: u.id, err: (err as Error).message }, 'upstream not ready; retrying in the background'));
    }
  }

  /** Per upstream and kind: a listing in progress, and whether another was asked for meanwhile. */
  readonly #lists = new Map<string, { again: boolean }>();
  readonly #lastListing = new Map<string, string>();

  /**
   * Re-lists what changed. Single-flight per (upstream, kind), with one trailing re-run: an
   * upstream that floods list_changed costs one listing at a time, and listings can never
   * be ingested out of order.
   */
  #refresh(client: UpstreamClient, kinds: ReadonlyArray<'tools' | 'prompts' | 'resources'>): void {
    // Prompts and resources are one listing task: the mirror updates them together.
    const tasks = new Set(kinds.map((k) => (k === 'tools' ? 'tools' : 'prompts+resources') as 'tools' | 'prompts+resources'));
    for (const kind of tasks) {
      const key = `${client.id}\u0000${kind}`;
      const running = this.#lists.get(key);
      if (running) {
        running.again = true;
        continue;
      }
      const slot = { again: false };
      this.#lists.set(key, slot);
      void (async () => {
        try {
          do {
            slot.again = false;
            await this.#list(client, kind);
          } while (slot.again);
        } finally {
          this.#lists.delete(key);
        }
      })();
    }
  }

  async #list(client: UpstreamClient, kind: 'tools' | 'prompts+resources'): Promise<void> {
    if (kind !== 'tools') return this.#mirror.refresh(client, ['prompts', 'resources']);
    try {
      const tools = await client.listAll('tools');
      const r = await this.registry.ingest(client.id, tools, client.config);
      this.#rebuildTools();
      // The periodic re-list repeats itself: say so at info only when the counts change.
      const summary = { registered: r.registered, usable: r.usable, skipped: r.skipped.length };
      const key = JSON.stringify(summary);
      const level = this.#lastListing.get(client.id) === key ? 'debug' : 'info';
      this.#lastListing.set(client.id, key);
      this.#log[level]({ upstream: client.id, ...summary }, 'tools listed');
    } catch (err) {
      this.#log.warn({ upstream: client.id, err: (err as Error).message }, 'listing tools failed; keeping the previous listing');
    }
  }

  /** The state database changed (the CLI approved or rejected a tool): re-read approvals. */
  refreshApprovals(): void {
    this.registry.refreshApprovals();
  }

  /** Catalog reloads change what agents may see. */
  catalogChanged(): void {
    this.subscriptions.recheck();
  }

  /** Ends every open stream (shutdown drains requests, not idle notification streams). */
  closeStreams(): void {
    this.subscriptions.closeAll();
    for (const s of this.sessions.all()) s.stream?.end();
  }

  /**
   * Sessions and notification streams outlive the request that authenticated them: ends the
   * ones whose key was revoked or expired, or whose agent is suspended or gone. Run every
   * second, so a revocation closes open streams within about a second.
   */
  revalidate(stale: (agentId: string, keyId: string) => boolean): void {
    for (const s of [...this.sessions.all()]) if (stale(s.agentId, s.keyId)) this.sessions.close(s.id, 'credential no longer valid');
    this.subscriptions.closeWhere(stale);
  }

  async close(): Promise<void> {
    for (const u of this.#unsubscribe) u();
    this.sessions.closeAll('gateway stopping');
    this.subscriptions.closeAll();
    await Promise.allSettled([...this.#upstreams.values()].map((u) => u.close()));
  }

  // ---- McpDirectory

  get generation(): number {
    return this.#generation;
  }
  tool(name: string): ToolView | undefined {
    return this.#toolIndex.get(name);
  }
  tools(): readonly ToolView[] {
    return this.#toolViews;
  }
  prompt(name: string) {
    return this.#mirror.prompt(name);
  }
  prompts() {
    return this.#mirror.prompts();
  }
  resources() {
    return this.#mirror.resources();
  }
  resourceTemplates() {
    return this.#mirror.templates();
  }
  upstream(id: string): UpstreamClient | undefined {
    return this.#upstreams.get(id);
  }
  onChanged(listener: (kind: ListKind) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #rebuildTools(): void {
    this.#toolViews = this.registry.list().map(toView);
    this.#toolIndex = new Map(this.#toolViews.map((t) => [t.name, t]));
    this.#changed('tools');
  }

  #changed(kind: ListKind): void {
    this.#generation++;
    for (const l of this.#listeners) {
      try {
        l(kind);
      } catch (err) {
        this.#log.error({ err }, 'directory listener failed');
      }
    }
  }
}

function toView(e: ToolEntry): ToolView {
  return {
    name: e.name,
    kind: e.source.kind,
    upstream: e.source.upstream,
    upstreamName: e.source.name,
    definition: e.definition,
    hash: e.hash,
    risk: e.risk,
    status: e.usable ? 'approved' : e.status === 'approved' ? 'pending' : e.status,
    listed: e.listed,
  };
}

import type { Logger } from 'pino';
import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { Egress } from '../../egress/egress.js';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcNotification } from '../jsonrpc.js';
import { handshake, modernEnvelope, type ClientIdentity } from './handshake.js';
import { HttpWire } from './http-wire.js';
import { ListenStream, type ListenFilter } from './listen-stream.js';
import { JsonRpcPeer, type PeerStats } from './peer.js';
import { resolveUpstreamValues } from './resolve-values.js';
import { SseWire } from './sse-wire.js';
import { StdioWire } from './stdio-wire.js';
import type { ListKind, ProtocolEra, SubscribeResponse, UpstreamClient, UpstreamEvents, UpstreamInfo, UpstreamRequestOptions, UpstreamResponse, UpstreamState } from './types.js';
import type { UpstreamWire, WireContext } from './wire.js';
import { redactDeep } from '../../util/redact-secrets.js';

export interface UpstreamClientOptions {
  log: Logger;
  clientInfo: ClientIdentity;
  /** Relative secret files are read from here (the configuration file's folder). */
  baseDir?: string;
  /** Where secret references and PATH/HOME/LANG are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Per request stream (McpConfig.maxNotificationsPerSecond). */
  maxNotificationsPerSecond?: number;
  /** The gateway's egress (http/sse connections); without one the client makes its own and closes it with itself. */
  egress?: Egress;
}

const LISTS: Record<ListKind, { method: string; key: string }> = {
  tools: { method: 'tools/list', key: 'tools' },
  prompts: { method: 'prompts/list', key: 'prompts' },
  resources: { method: 'resources/list', key: 'resources' },
  resourceTemplates: { method: 'resources/templates/list', key: 'resourceTemplates' },
};
const MAX_LIST_PAGES = 200;
/** A connection that stayed up this long restarts with the initial back-off again. */
const STABLE_UPTIME_MS = 30_000;

const LIST_CHANGED: Record<string, 'tools' | 'prompts' | 'resources'> = {
  'notifications/tools/list_changed': 'tools',
  'notifications/prompts/list_changed': 'prompts',
  'notifications/resources/list_changed': 'resources',
};

/**
 * One upstream MCP server: connects over its transport, negotiates the era, keeps the
 * connection up (reconnecting with exponential back-off and jitter after a failure or a
 * process exit) and exposes requests through the JSON-RPC peer. Session-level
 * notifications come from the upstream's own streams (legacy) or from one
 * `subscriptions/listen` stream the client keeps open (modern).
 */
export class UpstreamClientImpl implements UpstreamClient {
  readonly id: string;
  readonly config: UpstreamConfig;
  readonly #opts: UpstreamClientOptions;
  readonly #log: Logger;
  /** The resolved secret references of its env or headers (see ResolvedValues.secrets). */
  #secrets: readonly string[] = [];
  readonly #peer: JsonRpcPeer;
  readonly #listeners = new Map<keyof UpstreamEvents, Set<(...args: never[]) => void>>();
  readonly #callDefaults: { timeoutMs: number; idleMs: number };
  readonly #listen: ListenStream;
  /** Legacy era: URIs subscribed with resources/subscribe, subscribed again on a new session. */
  readonly #legacySubscriptions = new Set<string>();
  #state: UpstreamState = 'starting';
  #info: UpstreamInfo | null = null;
  #wire: UpstreamWire | null = null;
  #envelope: Record<string, unknown> | null = null;
  #era: ProtocolEra | null = null;
  #started: Promise<void> | null = null;
  #connecting: Promise<void> | null = null;
  #reinitializing: Promise<void> | null = null;
  #attempt = 0;
  #readyAt = 0;
  #reconnectTimer: NodeJS.Timeout | undefined;
  #refreshTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Made only when no shared egress was given. */
  #ownEgress: Egress | null = null;

  constructor(config: UpstreamConfig, opts: UpstreamClientOptions) {
    this.id = config.id;
    this.config = config;
    this.#opts = opts;
    this.#log = opts.log.child({ upstream: config.id });
    this.#callDefaults = { timeoutMs: config.timeouts.callMs, idleMs: config.timeouts.idleMs };
    this.#peer = new JsonRpcPeer({
      upstreamId: config.id,
      log: opts.log,
      maxNotificationsPerSecond: opts.maxNotificationsPerSecond ?? 200,
      onSessionNotification: (n) => this.#sessionNotification(n),
    });
    this.#listen = new ListenStream({
      upstreamId: config.id,
      log: this.#log,
      ackTimeoutMs: config.timeouts.connectMs,
      retry: config.restart,
      send: (params, o) => this.#peer.request('subscriptions/listen', params, o, this.#callDefaults, this.#envelope, { longLived: true }),
    });
  }

  get state(): UpstreamState {
    return this.#state;
  }

  get info(): UpstreamInfo | null {
    return this.#info;
  }

  get stats(): PeerStats & { pending: number; restarts: number } {
    return { ...this.#peer.stats, pending: this.#peer.pendingCount, restarts: this.#attempt };
  }

  /** Modern era: what the upstream acknowledged on the open subscriptions/listen stream; null when none is open. */
  get listenFilter(): ListenFilter | null {
    return this.#listen.honored;
  }

  /** stdio: the process id of the running server (tests, diagnostics). */
  get pid(): number | undefined {
    return this.#wire instanceof StdioWire ? this.#wire.pid : undefined;
  }

  start(): Promise<void> {
    if (this.#closed) return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is closed`));
    this.#started ??= this.#connect().catch((err: unknown) => {
      this.#scheduleReconnect();
      throw err;
    });
    return this.#started;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#reconnectTimer);
    clearInterval(this.#refreshTimer);
    const wire = this.#wire;
    this.#detach();
    this.#peer.failAll(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is closing`));
    await wire?.close();
    await this.#ownEgress?.close();
    this.#setState('closed', null);
  }

  request(method: string, params: Record<string, unknown> | undefined, opts: UpstreamRequestOptions = {}): Promise<UpstreamResponse> {
    if (this.#state !== 'ready') return Promise.reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is not connected`));
    const answer = this.#peer.request(method, params, opts, this.#callDefaults, this.#envelope);
    // An upstream that echoes the credentials the gateway gave it must not hand them to an agent.
    const secrets = this.#secrets;
    return secrets.length === 0 ? answer : answer.then((res) => redactDeep(res, secrets) as UpstreamResponse);
  }

  async subscribeResource(uri: string, opts: { signal?: AbortSignal } = {}): Promise<SubscribeResponse> {
    const era = this.#info?.era;
    if (this.#state !== 'ready' || !era) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is not connected`);
    if (era === 'legacy') {
      const res = await this.request('resources/subscribe', { uri }, opts);
      if (!res.error) this.#legacySubscriptions.add(uri);
      return { ...res, honored: !res.error };
    }
    let outcome;
    try {
      outcome = await this.#listen.subscribe(uri);
    } catch (err) {
      this.#listen.unsubscribe(uri);
      throw err;
    }
    // Left out of the acknowledgement (the upstream announces no resources.subscribe): kept in
    // the filter all the same, so a later connection that offers it delivers updates.
    if (outcome === 'refused') this.#log.info('upstream acknowledged subscriptions/listen without a subscribed resource; it will send no updates for it');
    return { result: {}, bytes: 0, honored: outcome === 'honored' };
  }

  async unsubscribeResource(uri: string): Promise<UpstreamResponse> {
    this.#listen.unsubscribe(uri);
    const wasLegacy = this.#legacySubscriptions.delete(uri);
    // A legacy session that is gone took its subscriptions with it: nothing to tell.
    if (!wasLegacy || this.#state !== 'ready' || this.#info?.era !== 'legacy') return { result: {}, bytes: 0 };
    return this.request('resources/unsubscribe', { uri });
  }

  async listAll(kind: ListKind, opts: { signal?: AbortSignal } = {}): Promise<Record<string, unknown>[]> {
    const { method, key } = LISTS[kind];
    const max = this.config.maxListItems;
    const deadline = performance.now() + this.config.timeouts.listMs;
    const items: Record<string, unknown>[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_LIST_PAGES) throw listError(this.id, method, `more than ${MAX_LIST_PAGES} pages`);
      const timeoutMs = Math.max(1, Math.round(deadline - performance.now()));
      const res = await this.request(method, cursor === undefined ? undefined : { cursor }, { timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
      if (res.error) throw listError(this.id, method, `error ${res.error.code}: ${res.error.message.slice(0, 200)}`);
      const list = res.result?.[key];
      if (!Array.isArray(list)) throw listError(this.id, method, `the result has no "${key}" array`);
      for (const item of list) {
        if (typeof item !== 'object' || item === null || Array.isArray(item)) throw listError(this.id, method, 'an item is not an object');
        if (items.length >= max) throw listError(this.id, method, `more than ${max} items (maxListItems)`);
        items.push(item as Record<string, unknown>);
      }
      const next = res.result?.nextCursor;
      if (typeof next !== 'string' || next === '') return items;
      if (cursors.has(next)) throw listError(this.id, method, 'a cursor repeated');
      cursors.add(next);
      cursor = next;
    }
  }

  on<E extends keyof UpstreamEvents>(event: E, listener: UpstreamEvents[E]): () => void {
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as (...args: never[]) => void);
    return () => set.delete(listener as (...args: never[]) => void);
  }

  #emit<E extends keyof UpstreamEvents>(event: E, ...args: Parameters<UpstreamEvents[E]>): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const fn of set) {
      try {
        (fn as unknown as (...a: Parameters<UpstreamEvents[E]>) => void)(...args);
      } catch (err) {
        this.#log.error({ err, event }, 'upstream event listener threw');
      }
    }
  }

  #setState(state: UpstreamState, info: UpstreamInfo | null): void {
    const changed = state !== this.#state || info !== this.#info;
    this.#state = state;
    this.#info = info;
    if (changed) this.#emit('state', state, info);
  }

  #connect(): Promise<void> {
    this.#connecting ??= this.#connectOnce().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    this.#setState('starting', this.#info);
    try {
      const { values, secrets } = await resolveUpstreamValues(this.config, this.#opts.baseDir ?? process.cwd(), this.#opts.env ?? process.env);
      this.#secrets = secrets;
      // At most twice: a stdio server that exits on the discover probe is spawned again for initialize.
      for (let spawns = 0; spawns < 2; spawns++) {
        if (this.#closed) throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is closed`);
        const wire = this.#makeWire(values);
        this.#wire = wire;
        this.#peer.attach(wire);
        try {
          await withDeadline(wire.open(), this.config.timeouts.connectMs, this.id);
          const outcome = await this.#handshake(this.#era);
          if (outcome === 'respawn') {
            this.#era = 'legacy';
            this.#detach();
            await wire.close();
            continue;
          }
        } catch (err) {
          if (this.#wire === wire) this.#detach();
          await wire.close().catch(() => {});
          throw err;
        }
        if (this.#closed) {
          this.#detach();
          await wire.close();
          throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is closed`);
        }
        this.#readyAt = performance.now();
        this.#startRefreshTimer();
        this.#log.info({ era: this.#info?.era, protocolVersion: this.#info?.protocolVersion, server: this.#info?.serverInfo?.name }, 'upstream ready');
        return;
      }
      throw new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} exited during the handshake`);
    } catch (err) {
      const e = err instanceof GatewayError ? err : new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} could not be connected`, { cause: err });
      if (!this.#closed) this.#setState('failed', null);
      this.#log.warn({ code: e.code, reason: e.message }, 'upstream connection failed');
      throw e;
    }
  }

  /** Runs the handshake on the current wire; sets info, envelope and state on success. */
  async #handshake(knownEra: ProtocolEra | null): Promise<'ready' | 'respawn'> {
    const wire = this.#wire!;
    const outcome = await handshake(
      {
        config: this.config,
        clientInfo: this.#opts.clientInfo,
        send: (method, params, timeoutMs, envelope) => this.#peer.request(method, params, {}, { timeoutMs, idleMs: timeoutMs }, envelope),
        notify: (method) => this.#peer.notify(method),
      },
      knownEra,
    );
    if (outcome.kind === 'respawn-legacy') return 'respawn';
    const info = outcome.info;
    this.#era = info.era;
    this.#envelope = info.era === 'modern' ? modernEnvelope(this.config, this.#opts.clientInfo) : null;
    wire.negotiated(info.era, info.protocolVersion);
    this.#setState('ready', info);
    if (info.era === 'modern') this.#listen.start(info.capabilities);
    else this.#resubscribeLegacy();
    return 'ready';
  }

  #makeWire(values: Record<string, string>): UpstreamWire {
    let wire: UpstreamWire | undefined = undefined;
    const ctx: WireContext = {
      config: this.config,
      peer: this.#peer,
      log: this.#log,
      values,
      secrets: this.#secrets,
      onClosed: (reason) => {
        if (wire === undefined || wire !== this.#wire) return;
        this.#lost(reason);
      },
      reinitialize: () => this.#reinitialize(),
      egress: this.#opts.egress ?? (this.#ownEgress ??= new Egress({ log: this.#log })),
    };
    wire = this.config.transport === 'stdio' ? new StdioWire(ctx) : this.config.transport === 'http' ? new HttpWire(ctx) : new SseWire(ctx);
    return wire;
  }

  #detach(): void {
    this.#wire = null;
    this.#listen.stop(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.id} is not connected`));
    this.#peer.attach(null);
    clearInterval(this.#refreshTimer);
  }

  /** A new legacy session (reconnect, expired HTTP session) starts without subscriptions. */
  #resubscribeLegacy(): void {
    for (const uri of this.#legacySubscriptions) {
      this.request('resources/subscribe', { uri }).then(
        (res) => {
          if (res.error) this.#log.warn({ code: res.error.code }, 'upstream refused a resource subscription again');
        },
        (err: unknown) => this.#log.warn({ reason: err instanceof Error ? err.message : 'unknown' }, 'resource subscription could not be renewed'),
      );
    }
  }

  /** The connection dropped by itself: fail what is pending and reconnect later. */
  #lost(reason: GatewayError): void {
    const wasReady = this.#state === 'ready';
    this.#detach();
    this.#peer.failAll(reason);
    if (this.#closed) return;
    this.#log.warn({ reason: reason.message, details: reason.details }, 'upstream connection lost');
    // A loss during connect is handled (and reported) by the connect attempt itself.
    if (this.#connecting) return;
    if (wasReady && performance.now() - this.#readyAt >= STABLE_UPTIME_MS) this.#attempt = 0;
    this.#setState('failed', null);
    this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    if (this.#closed || this.#reconnectTimer !== undefined) return;
    const { initialDelayMs, maxDelayMs } = this.config.restart;
    const base = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(this.#attempt, 30));
    this.#attempt++;
    // Equal jitter: half fixed, half random, so restarts of many upstreams spread out.
    const delay = base / 2 + Math.random() * (base / 2);
    this.#log.info({ delayMs: Math.round(delay), attempt: this.#attempt }, 'upstream reconnect scheduled');
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#connect().catch(() => this.#scheduleReconnect());
    }, delay);
    this.#reconnectTimer.unref();
  }

  /** HTTP session expired: one handshake again, shared by every request that noticed. */
  #reinitialize(): Promise<void> {
    this.#reinitializing ??= (async () => {
      this.#log.info('upstream session expired; initializing again');
      try {
        await this.#handshake('legacy');
      } finally {
        this.#reinitializing = null;
      }
    })();
    return this.#reinitializing;
  }

  #startRefreshTimer(): void {
    clearInterval(this.#refreshTimer);
    this.#refreshTimer = setInterval(() => {
      const caps = this.#info?.capabilities ?? {};
      for (const kind of ['tools', 'prompts', 'resources'] as const) if (caps[kind] !== undefined) this.#emit('listChanged', kind);
    }, this.config.refreshIntervalMs);
    this.#refreshTimer.unref();
  }

  #sessionNotification(n: JsonRpcNotification): void {
    const kind = LIST_CHANGED[n.method];
    if (kind) this.#emit('listChanged', kind);
    else this.#emit('notification', n);
  }
}

function listError(id: string, method: string, why: string): GatewayError {
  return new GatewayError('UPSTREAM_BAD_RESPONSE', `Upstream ${id}: ${method} failed (${why})`);
}

function withDeadline<T>(p: Promise<T>, ms: number, id: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new GatewayError('UPSTREAM_TIMEOUT', `Upstream ${id} did not connect within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e);
      },
    );
  });
}

/**
 * 2025-11-25 sessions. A session belongs to the agent and key that opened it: any other
 * caller presenting its id is told "not found", exactly as for an id that never existed,
 * so session ids cannot be probed or hijacked across agents.
 */
import { randomBytes } from 'node:crypto';
import type { JsonRpcNotification, JsonRpcRequest } from '../jsonrpc.js';
import type { SseStream } from './sse-stream.js';

export interface Session {
  readonly id: string;
  readonly agentId: string;
  readonly keyId: string;
  /** streamable: /mcp with Mcp-Session-Id; sse: the legacy HTTP+SSE transport (answers go on `stream`). */
  readonly transport: 'streamable' | 'sse';
  /** Set by initialize (for an SSE session, which exists before its initialize). */
  protocolVersion: string;
  clientInfo: Record<string, unknown> | null;
  clientCapabilities: Record<string, unknown>;
  readonly createdAt: number;
  lastSeen: number;
  initialized: boolean;
  logLevel: string | null;
  /** The standalone GET stream, if the client opened one. */
  stream: SseStream | null;
  /** Requests in flight, by the client's id, so notifications/cancelled can abort them. */
  readonly inFlight: Map<string | number, { abort(reason?: unknown): void }>;
  /** Server-to-client requests awaiting the client's answer, by the id the gateway gave them. */
  readonly awaiting: Map<string, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>;
  /** The tool-list fingerprint this client last saw, to notify only on real changes. */
  visibleToolsDigest: string | null;
  visiblePromptsDigest: string | null;
  visibleResourcesDigest: string | null;
  readonly subscriptions: Set<string>;
}

export type OutboundMessage = JsonRpcNotification | JsonRpcRequest;

export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #maxPerAgent: number;
  readonly #timer: NodeJS.Timeout;
  readonly #onClose: (s: Session, reason: string) => void;

  constructor(opts: { idleMs: number; maxPerAgent: number; onClose?: (s: Session, reason: string) => void }) {
    this.#idleMs = opts.idleMs;
    this.#maxPerAgent = opts.maxPerAgent;
    this.#onClose = opts.onClose ?? (() => undefined);
    this.#timer = setInterval(() => this.sweep(Date.now()), Math.min(60_000, Math.max(1000, Math.floor(opts.idleMs / 4))));
    this.#timer.unref();
  }

  create(init: {
    transport?: 'streamable' | 'sse';
    agentId: string;
    keyId: string;
    protocolVersion: string;
    clientInfo: Record<string, unknown> | null;
    clientCapabilities: Record<string, unknown>;
  }): Session {
    const mine = [...this.#sessions.values()].filter((s) => s.agentId === init.agentId);
    if (mine.length >= this.#maxPerAgent) {
      // The oldest idle session makes room: a client that reconnects in a loop must not lock its agent out.
      const oldest = mine.reduce((a, b) => (a.lastSeen <= b.lastSeen ? a : b));
      this.close(oldest.id, 'session limit reached');
    }
    const now = Date.now();
    const s: Session = {
      id: randomBytes(24).toString('base64url'),
      transport: 'streamable',
      ...init,
      createdAt: now,
      lastSeen: now,
      initialized: false,
      logLevel: null,
      stream: null,
      inFlight: new Map(),
      awaiting: new Map(),
      visibleToolsDigest: null,
      visiblePromptsDigest: null,
      visibleResourcesDigest: null,
      subscriptions: new Set(),
    };
    this.#sessions.set(s.id, s);
    return s;
  }

  /**
   * The session if it exists and was opened with this agent's same key; otherwise undefined
   * (the same answer for both, so ids cannot be probed). Binding to the key, not only the
   * agent, means revoking a key ends exactly the sessions it opened.
   */
  get(id: string, caller: { agentId: string; keyId: string } | null): Session | undefined {
    const s = this.#sessions.get(id);
    if (!s || !caller || s.agentId !== caller.agentId || s.keyId !== caller.keyId) return undefined;
    s.lastSeen = Date.now();
    return s;
  }

  all(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  close(id: string, reason: string): boolean {
    const s = this.#sessions.get(id);
    if (!s) return false;
    this.#sessions.delete(id);
    for (const c of s.inFlight.values()) c.abort(new Error(`session closed: ${reason}`));
    for (const w of s.awaiting.values()) w.reject(new Error(`session closed: ${reason}`));
    s.awaiting.clear();
    s.stream?.end();
    this.#onClose(s, reason);
    return true;
  }

  sweep(now: number): void {
    for (const s of [...this.#sessions.values()]) {
      if (now - s.lastSeen > this.#idleMs && s.inFlight.size === 0 && s.stream === null) this.close(s.id, 'idle');
    }
  }

  closeAll(reason: string): void {
    clearInterval(this.#timer);
    for (const id of [...this.#sessions.keys()]) this.close(id, reason);
  }
}

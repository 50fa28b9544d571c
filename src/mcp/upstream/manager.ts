import type { UpstreamConfig } from '../../config/mcp-schema.js';
import { UpstreamClientImpl, type UpstreamClientOptions } from './client.js';
import type { UpstreamClient } from './types.js';

export function createUpstreamClient(config: UpstreamConfig, opts: UpstreamClientOptions): UpstreamClientImpl {
  return new UpstreamClientImpl(config, opts);
}

export interface StartReport {
  ready: string[];
  /** Upstreams that failed their first connection; they keep reconnecting in the background. */
  failed: { id: string; code: string; message: string }[];
}

/**
 * All configured upstreams. Starting connects them in parallel; an upstream that fails
 * (or never answers: its connect timeout bounds the wait) does not hold up the others or
 * the gateway, and keeps reconnecting in the background.
 */
export class UpstreamManager {
  readonly #clients = new Map<string, UpstreamClientImpl>();

  constructor(configs: readonly UpstreamConfig[], opts: UpstreamClientOptions) {
    for (const c of configs) this.#clients.set(c.id, createUpstreamClient(c, opts));
  }

  get(id: string): UpstreamClient | undefined {
    return this.#clients.get(id);
  }

  all(): UpstreamClient[] {
    return [...this.#clients.values()];
  }

  async startAll(): Promise<StartReport> {
    const report: StartReport = { ready: [], failed: [] };
    await Promise.all(
      [...this.#clients.values()].map((c) =>
        c.start().then(
          () => report.ready.push(c.id),
          (err: { code?: string; message?: string }) => report.failed.push({ id: c.id, code: err.code ?? 'INTERNAL', message: err.message ?? String(err) }),
        ),
      ),
    );
    return report;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((c) => c.close()));
  }
}

/**
 * Who holds a subscription to which resource. Upstream connections are shared by every
 * agent, so a resource is subscribed upstream once, when its first holder (a 2025-11-25
 * session or a 2026-07-28 listen stream) asks, and unsubscribed when its last holder lets
 * go or goes away.
 */
import type { Logger } from 'pino';
import type { McpDirectory } from '../directory-types.js';
import type { SubscribeResponse } from '../upstream/types.js';

export class ResourceSubscriptions {
  readonly #holders = new Map<string, Set<object>>();
  readonly #byHolder = new Map<object, Set<string>>();
  readonly #dir: McpDirectory;
  readonly #log: Logger;

  constructor(directory: McpDirectory, log: Logger) {
    this.#dir = directory;
    this.#log = log;
  }

  /**
   * Adds the holder; the first holder of a URI subscribes upstream. Resolves with the
   * upstream's answer when this call subscribed, `null` when the URI was already held (or
   * this holder held it). A failed upstream subscription leaves nothing held.
   */
  async acquire(holder: object, publicUri: string, opts: { signal?: AbortSignal } = {}): Promise<SubscribeResponse | null> {
    const target = this.#dir.uris.fromPublic(publicUri);
    const client = target ? this.#dir.upstream(target.upstream) : undefined;
    if (!target || !client) return null;
    let set = this.#holders.get(publicUri);
    if (set?.has(holder)) return null;
    const first = set === undefined || set.size === 0;
    if (!set) this.#holders.set(publicUri, (set = new Set()));
    set.add(holder);
    let mine = this.#byHolder.get(holder);
    if (!mine) this.#byHolder.set(holder, (mine = new Set()));
    mine.add(publicUri);
    if (!first) return null;
    try {
      const res = await client.subscribeResource(target.uri, opts);
      if (res.error) this.#forget(holder, publicUri);
      return res;
    } catch (err) {
      this.#forget(holder, publicUri);
      throw err;
    }
  }

  /** Removes the holder; the last holder of a URI unsubscribes upstream (in the background). */
  release(holder: object, publicUri: string): void {
    if (!this.#forget(holder, publicUri)) return;
    if ((this.#holders.get(publicUri)?.size ?? 0) > 0) return;
    this.#holders.delete(publicUri);
    const target = this.#dir.uris.fromPublic(publicUri);
    const client = target ? this.#dir.upstream(target.upstream) : undefined;
    if (!target || !client) return;
    client.unsubscribeResource(target.uri).catch((err: unknown) => {
      this.#log.warn({ upstream: target.upstream, err: (err as Error).message }, 'unsubscribing a resource upstream failed');
    });
  }

  /** A session closed or a listen stream ended: everything it held is released. */
  releaseAll(holder: object): void {
    for (const uri of [...(this.#byHolder.get(holder) ?? [])]) this.release(holder, uri);
    this.#byHolder.delete(holder);
  }

  #forget(holder: object, publicUri: string): boolean {
    const set = this.#holders.get(publicUri);
    if (!set?.delete(holder)) return false;
    if (set.size === 0) this.#holders.delete(publicUri);
    this.#byHolder.get(holder)?.delete(publicUri);
    return true;
  }
}

/**
 * Resource URIs are namespaced by upstream the reversible way: `<upstream>+<uri>`. The
 * result is still a valid URI (a scheme may contain `+`), so clients keep treating it as
 * opaque, and two upstreams that both serve `file:///README.md` stay apart. One upstream
 * may be configured unprefixed (`prefix: false`): its URIs pass unchanged, and any URI
 * that names no prefixed upstream belongs to it.
 */
import { UPSTREAM_ID_PATTERN } from '../config/mcp-schema.js';

export class UriNamespace {
  readonly #prefixed: ReadonlySet<string>;
  readonly #unprefixed: string | null;

  constructor(prefixed: Iterable<string>, unprefixed: string | null) {
    this.#prefixed = new Set(prefixed);
    this.#unprefixed = unprefixed;
  }

  /** The upstream configured `prefix: false`, if any. */
  get unprefixed(): string | null {
    return this.#unprefixed;
  }

  toPublic(upstream: string, uri: string): string {
    return upstream === this.#unprefixed ? uri : `${upstream}+${uri}`;
  }

  fromPublic(uri: string): { upstream: string; uri: string } | null {
    const plus = uri.indexOf('+');
    if (plus > 0) {
      const upstream = uri.slice(0, plus);
      const rest = uri.slice(plus + 1);
      if (UPSTREAM_ID_PATTERN.test(upstream) && this.#prefixed.has(upstream) && rest.length > 0) return { upstream, uri: rest };
    }
    return this.#unprefixed !== null && uri.length > 0 ? { upstream: this.#unprefixed, uri } : null;
  }

  /**
   * Why `upstream` may not publish the resource URI (or URI template) it calls `uri`, or
   * `null` when it may. Its public form must lead back to it and to nothing else: an
   * unprefixed upstream listing `github+repo://secret` would be shown as, and routed to,
   * the prefixed upstream `github` (compared without case, since a scheme is
   * case-insensitive and `GitHub+...` looks the same to a person), and an empty URI has no
   * public form at all.
   */
  publishProblem(upstream: string, uri: string): string | null {
    if (uri.length === 0) return 'the URI is empty';
    if (upstream !== this.#unprefixed) return null;
    const plus = uri.indexOf('+');
    const claimed = plus > 0 ? uri.slice(0, plus).toLowerCase() : '';
    return this.#prefixed.has(claimed) ? `the URI starts with "${claimed}+", the namespace of upstream ${claimed}` : null;
  }

  /**
   * The name a resource is authorized under: same globs as tools, in the upstream's
   * namespace. The unprefixed upstream's names get no `__` (runs of `_` shrink to one), so
   * a resource named `github__secret` is not allowed by an agent's `github__*`.
   */
  accessName(upstream: string, name: unknown, uri: string): string {
    const base = (typeof name === 'string' && name.length > 0 ? name : uri).replace(/[^A-Za-z0-9_-]/g, '_');
    return (upstream === this.#unprefixed ? base.replace(/__+/g, '_') : `${upstream}__${base}`).slice(0, 64);
  }
}

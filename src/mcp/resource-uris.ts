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

  /** The name a resource is authorized under: same globs as tools, in the upstream's namespace. */
  accessName(upstream: string, name: unknown, uri: string): string {
    const base = (typeof name === 'string' && name.length > 0 ? name : uri).replace(/[^A-Za-z0-9_-]/g, '_');
    return (upstream === this.#unprefixed ? base : `${upstream}__${base}`).slice(0, 64);
  }
}

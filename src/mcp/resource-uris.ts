/**
 * Resource URIs are namespaced by upstream the reversible way: `<upstream>+<uri>`. The
 * result is still a valid URI (a scheme may contain `+`), so clients keep treating it as
 * opaque, and two upstreams that both serve `file:///README.md` stay apart.
 */
import { UPSTREAM_ID_PATTERN } from '../config/mcp-schema.js';

export function toPublicUri(upstream: string, uri: string): string {
  return `${upstream}+${uri}`;
}

export function fromPublicUri(uri: string): { upstream: string; uri: string } | null {
  const plus = uri.indexOf('+');
  if (plus <= 0) return null;
  const upstream = uri.slice(0, plus);
  if (!UPSTREAM_ID_PATTERN.test(upstream)) return null;
  const rest = uri.slice(plus + 1);
  return rest.length > 0 ? { upstream, uri: rest } : null;
}

/** The name a resource is authorized under: same globs as tools, in the upstream's namespace. */
export function resourceAccessName(upstream: string, name: unknown, uri: string): string {
  const base = typeof name === 'string' && name.length > 0 ? name : uri;
  return `${upstream}__${base.replace(/[^A-Za-z0-9_-]/g, '_')}`.slice(0, 64);
}

/**
 * Where an import's calls go. The operator's `baseUrl` wins; otherwise the spec's first
 * server, with its variables filled only from the sidecar (values the variable's enum allows)
 * or from their defaults: a spec cannot point calls anywhere its operator did not accept.
 */
import type { ImportSidecar } from './sidecar-schema.js';
import { isObject } from '../util/is-object.js';
import { neutralize } from '../util/unsafe-chars.js';

export interface BaseUrl {
  /** `scheme://host[:port]`: the only origin the import's calls may reach. */
  origin: string;
  /** Path prefix without a trailing slash (`''` for the root). */
  basePath: string;
  href: string;
}

export function resolveBaseUrl(
  document: Record<string, unknown>,
  sidecar: Pick<ImportSidecar, 'baseUrl' | 'serverVariables' | 'allowHttp'>,
): { ok: true; base: BaseUrl; fromSpec: boolean } | { ok: false; reason: string } {
  let raw: string;
  let fromSpec = false;
  if (sidecar.baseUrl !== undefined) {
    raw = sidecar.baseUrl;
  } else {
    const server = Array.isArray(document.servers) ? document.servers.find(isObject) : undefined;
    if (!server || typeof server.url !== 'string') return { ok: false, reason: 'the spec declares no server: set baseUrl in the sidecar' };
    const filled = fillVariables(server.url, isObject(server.variables) ? server.variables : {}, sidecar.serverVariables ?? {});
    if (!filled.ok) return filled;
    raw = filled.url;
    fromSpec = true;
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: fromSpec ? `the spec's server URL "${clip(raw)}" is relative or invalid: set baseUrl in the sidecar` : 'baseUrl is not a valid URL' };
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `base URL scheme ${url.protocol} is not http(s)` };
  if (url.protocol === 'http:' && !sidecar.allowHttp) return { ok: false, reason: 'the base URL is plain http: set allowHttp: true in the sidecar to accept it' };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'the base URL must not carry credentials (use the sidecar\'s credentials)' };
  if (url.search !== '' || url.hash !== '') return { ok: false, reason: 'the base URL must not have a query or fragment' };
  const basePath = url.pathname.replace(/\/+$/, '');
  return { ok: true, base: { origin: url.origin, basePath, href: url.origin + basePath }, fromSpec };
}

function fillVariables(
  template: string,
  declared: Record<string, unknown>,
  given: Record<string, string>,
): { ok: true; url: string } | { ok: false; reason: string } {
  for (const name of Object.keys(given)) {
    if (!isObject(declared[name])) return { ok: false, reason: `serverVariables.${name}: the server has no such variable` };
  }
  let problem: string | null = null;
  const url = template.replace(/\{([^}]*)\}/g, (_, name: string) => {
    const v = declared[name];
    if (!isObject(v)) {
      problem ??= `the server URL uses {${name}}, which it does not declare`;
      return '';
    }
    const allowed = Array.isArray(v.enum) ? v.enum.map(String) : null;
    const value = given[name] ?? (v.default !== undefined ? String(v.default) : undefined);
    if (value === undefined) {
      problem ??= `server variable ${name} has no default: set serverVariables.${name}`;
      return '';
    }
    if (allowed !== null && !allowed.includes(value)) {
      problem ??= `server variable ${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`;
      return '';
    }
    // A variable fills part of the URL, never its structure.
    if (/[/?#@\\\s]/.test(value) && allowed === null) {
      problem ??= `server variable ${name} may not contain "/", "?", "#", "@" or spaces`;
      return '';
    }
    return value;
  });
  return problem === null ? { ok: true, url } : { ok: false, reason: problem };
}

function clip(s: string): string {
  const clean = neutralize(s);
  return clean.length > 120 ? `${clean.slice(0, 117)}...` : clean;
}

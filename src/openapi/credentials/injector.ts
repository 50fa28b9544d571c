import { queryPairName } from '../../util/query-pair.js';
import type { BuiltRequest } from '../plan.js';
import type { ClientCredentialsTokenSource } from './oauth-client-credentials.js';
import type { CredentialLocation } from './security-schemes.js';

/** Where a credential goes on the wire. */
export interface Placement {
  in: CredentialLocation;
  name: string;
}

/** One configured credential, ready to be put on requests. */
export interface BoundCredential {
  /** The scheme name, or `inject[i]`: for conflict reasons and the audit trail, never a value. */
  readonly label: string;
  readonly placements: readonly Placement[];
  apply(req: BuiltRequest, signal: AbortSignal): Promise<void> | void;
  /** True when the credential changed and the refused call is worth one retry. */
  afterUnauthorized(req: BuiltRequest | undefined): boolean;
}

/** Adds one operation's credentials to its requests. Shared by every call of the operation. */
export interface Injector {
  /** Labels of the credentials it adds (scheme names, `inject[i]`), for the audit trail. */
  readonly schemes: readonly string[];
  apply(req: BuiltRequest, signal: AbortSignal): Promise<void>;
  /**
   * After a 401: drops a cached OAuth token and returns true, so the executor retries the
   * call once (after `apply` on a fresh request); false when nothing would change. Passing
   * the refused request keeps a token that a concurrent retry already replaced.
   */
  afterUnauthorized(req?: BuiltRequest): Promise<boolean>;
}

/** Header values: visible ASCII and inner spaces; what Node and undici accept without surprises. */
const HEADER_VALUE = /^[\x21-\x7E](?:[\x20-\x7E\t]*[\x21-\x7E])?$/;
/** RFC 6265 cookie-octet: no spaces, quotes, commas, semicolons or backslashes. */
const COOKIE_VALUE = /^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]+$/;

/** Why a value cannot be sent at this location (without the value), or null. */
export function valueProblem(where: CredentialLocation, value: string): string | null {
  if (where === 'header' && !HEADER_VALUE.test(value)) return 'the value has characters a header may not carry (control characters, non-ASCII, or leading/trailing spaces)';
  if (where === 'cookie' && !COOKIE_VALUE.test(value)) return 'the value has characters a cookie may not carry (spaces, quotes, commas, semicolons, backslashes, non-ASCII)';
  return null;
}

/** Sets one credential on the request, replacing anything of the same name already there. */
export function place(req: BuiltRequest, p: Placement, value: string): void {
  if (p.in === 'header') {
    // defineProperty: a spec may name a header "__proto__", which plain assignment would not store.
    Object.defineProperty(req.headers, p.name.toLowerCase(), { value, enumerable: true, writable: true, configurable: true });
  } else if (p.in === 'query') {
    req.query = req.query.filter((pair) => queryPairName(pair) !== p.name);
    req.query.push(`${encodeURIComponent(p.name)}=${encodeURIComponent(value)}`);
  } else {
    req.cookies = req.cookies.filter((pair) => cookieName(pair) !== p.name);
    req.cookies.push(`${p.name}=${value}`);
  }
}

function cookieName(pair: string): string {
  const eq = pair.indexOf('=');
  return (eq < 0 ? pair : pair.slice(0, eq)).trim();
}

export function staticCredential(label: string, entries: ReadonlyArray<Placement & { value: string }>): BoundCredential {
  const values = entries.map((e) => ({ in: e.in, name: e.name, value: e.value }));
  return {
    label,
    placements: values.map((e) => ({ in: e.in, name: e.name })),
    apply(req) {
      for (const e of values) place(req, e, e.value);
    },
    afterUnauthorized: () => false,
  };
}

const AUTHORIZATION: Placement = { in: 'header', name: 'Authorization' };

export function oauthCredential(label: string, source: ClientCredentialsTokenSource): BoundCredential {
  // Which token generation each request carried, so a late 401 does not drop a newer token.
  const carried = new WeakMap<BuiltRequest, number>();
  return {
    label,
    placements: [AUTHORIZATION],
    async apply(req, signal) {
      const tok = await source.getToken(signal);
      carried.set(req, tok.generation);
      place(req, AUTHORIZATION, `Bearer ${tok.value}`);
    },
    afterUnauthorized(req) {
      source.invalidate(req === undefined ? undefined : carried.get(req));
      return true;
    },
  };
}

export function makeInjector(creds: readonly BoundCredential[]): Injector {
  const list = [...creds];
  return {
    schemes: list.map((c) => c.label),
    async apply(req, signal) {
      for (const c of list) await c.apply(req, signal);
    },
    async afterUnauthorized(req) {
      let retry = false;
      for (const c of list) retry = c.afterUnauthorized(req) || retry;
      return retry;
    },
  };
}

/** Case-insensitive for headers, exact for query parameters and cookies. */
export function placementKey(p: Placement): string {
  return `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
}

import { Secret, type SecretRef } from '../../config/secret-ref.js';
import type { CredentialsConfig } from './credential-schema.js';
import { makeInjector, placementKey, type BoundCredential, type Injector, type Placement } from './injector.js';
import type { ClientCredentialsTokenSource, Clock, TokenTransport } from './oauth-client-credentials.js';
import { describeNeed, type CredentialLocation, type SchemeSpec } from './security-schemes.js';

/** Same contract as resolveSecretRef with its baseDir (the sidecar's folder) bound. */
export type SecretResolver = (ref: SecretRef) => Promise<{ ok: true; secret: Secret } | { ok: false; message: string }>;

export interface CredentialSetInput {
  /** The sidecar file, named in problems. */
  file: string;
  /** `components.securitySchemes` of the dereferenced document. */
  securitySchemes: unknown;
  /** The document-level `security`, the default of operations that declare none. */
  security: unknown;
  /** The parsed `credentials` key of the sidecar. */
  config: CredentialsConfig;
  resolveSecret: SecretResolver;
  /** For OAuth token endpoints; only called when a token is needed. */
  tokenTransport: TokenTransport;
  /** Resolves a relative tokenUrl of the spec (the import's base URL). */
  baseUrl?: string;
  /** Accept http:// token endpoints (the import allows plain http: tests, internal APIs). */
  allowHttp?: boolean;
  clock?: Clock;
}

export type OperationAuth = { ok: true; injector: Injector } | { ok: false; reason: string };

/** Header an http, oauth2 or openIdConnect scheme uses; never an agent's to set. */
export const AUTHORIZATION: Placement = { in: 'header', name: 'Authorization' };

/**
 * The credentials of one import (built by build-credential-set.ts): built once per (re)load, asked per operation which
 * credentials its `security` requirements need. Holds resolved secrets; prints none of them.
 */
export class CredentialSet {
  readonly #schemes: Map<string, SchemeSpec>;
  /** Configured schemes whose credentials resolved; a name in `#failed` was configured but is unusable. */
  readonly #bound: Map<string, BoundCredential>;
  readonly #failed: Set<string>;
  readonly #inject: BoundCredential[];
  readonly #failedInject: string[];
  readonly #documentSecurity: unknown;
  readonly #staticSecrets: string[];
  readonly #oauth: ClientCredentialsTokenSource[];
  readonly #cache = new Map<string, OperationAuth>();
  readonly #hidden: Placement[];
  readonly #reserved: ReadonlySet<string>;
  #secretsKey = -1;
  #secrets: readonly string[] = [];

  /** @internal use buildCredentialSet */
  constructor(parts: {
    schemes: Map<string, SchemeSpec>;
    bound: Map<string, BoundCredential>;
    failed: Set<string>;
    inject: BoundCredential[];
    /** Inject entries whose value could not be resolved: every call needs them, so no operation is available. */
    failedInject: string[];
    documentSecurity: unknown;
    staticSecrets: string[];
    oauth: ClientCredentialsTokenSource[];
    hidden: Placement[];
  }) {
    this.#schemes = parts.schemes;
    this.#bound = parts.bound;
    this.#failed = parts.failed;
    this.#inject = parts.inject;
    this.#failedInject = parts.failedInject;
    this.#documentSecurity = parts.documentSecurity;
    this.#staticSecrets = parts.staticSecrets;
    this.#oauth = parts.oauth;
    this.#hidden = parts.hidden;
    this.#reserved = new Set(this.#hidden.map((p) => p.name.toLowerCase()));
  }

  /**
   * The credentials for an operation: `security` is the operation's own (undefined: the
   * document's). The first requirement set, in spec order, whose schemes all have usable
   * credentials wins; `{}` (or `security: []`) is anonymous. Inject entries are added in
   * every case. When no set can be met the operation is unavailable, never called without.
   */
  forOperation(security: unknown): OperationAuth {
    const effective = security === undefined ? this.#documentSecurity : security;
    let key: string;
    try {
      key = JSON.stringify(effective ?? null);
    } catch {
      return { ok: false, reason: 'the security requirements are not JSON' };
    }
    let result = this.#cache.get(key);
    if (result === undefined) {
      result = this.#evaluate(effective);
      this.#cache.set(key, result);
    }
    return result;
  }

  #evaluate(security: unknown): OperationAuth {
    if (security === undefined || security === null) return this.#injectorFor([]);
    if (!Array.isArray(security)) return { ok: false, reason: 'security is not a list of requirement objects' };
    if (security.length === 0) return this.#injectorFor([]);
    const why: string[] = [];
    for (const requirement of security) {
      if (typeof requirement !== 'object' || requirement === null || Array.isArray(requirement)) {
        why.push('a requirement that is not an object');
        continue;
      }
      const names = Object.keys(requirement);
      const missing: string[] = [];
      const creds: BoundCredential[] = [];
      for (const name of names) {
        const cred = this.#bound.get(name);
        if (cred) creds.push(cred);
        else missing.push(this.#whyUnusable(name));
      }
      if (missing.length > 0) {
        why.push(missing.join(' and '));
        continue;
      }
      const result = this.#injectorFor(creds);
      if (result.ok) return result;
      why.push(result.reason);
    }
    return {
      ok: false,
      reason: why.length === 1 ? `no usable credentials: ${why[0]}` : `no usable credentials for any of ${why.length} alternatives: ${why.map((w, i) => `(${i + 1}) ${w}`).join('; ')}`,
    };
  }

  #whyUnusable(name: string): string {
    const spec = this.#schemes.get(name);
    const label = JSON.stringify(name.slice(0, 64));
    if (spec === undefined) return `scheme ${label} is not declared in components.securitySchemes`;
    if (this.#failed.has(name)) return `the credentials of ${label} are configured but unusable (see the import's warnings)`;
    if (spec.kind === 'unsupported') return `scheme ${label}: ${spec.reason}`;
    if (spec.kind === 'apiKey' && spec.problem !== null) return `scheme ${label}: ${spec.problem}`;
    return `scheme ${label} needs ${describeNeed(spec)} under credentials.schemes`;
  }

  /** An injector for these scheme credentials plus the inject entries, unless two of them set the same thing. */
  #injectorFor(creds: BoundCredential[]): OperationAuth {
    // Never call without a credential the operator said every call carries.
    if (this.#failedInject.length > 0) return { ok: false, reason: `${this.#failedInject.join(', ')} cannot be resolved (see the import's warnings)` };
    const all = [...creds, ...this.#inject];
    const owner = new Map<string, string>();
    for (const c of all) {
      for (const p of c.placements) {
        const k = placementKey(p);
        const prev = owner.get(k);
        if (prev !== undefined && prev !== c.label) return { ok: false, reason: `${prev} and ${c.label} both set ${p.in} ${p.name}` };
        owner.set(k, c.label);
      }
    }
    return { ok: true, injector: makeInjector(all) };
  }

  /**
   * Parameters the agent never sees or sets: every apiKey location the spec declares
   * (configured or not: gitea's `Sudo` impersonation header stays out of reach), the
   * Authorization header when the spec has http/oauth2/openIdConnect schemes, and every
   * inject entry.
   */
  hiddenParameters(): Array<{ in: CredentialLocation; name: string }> {
    return this.#hidden.map((p) => ({ in: p.in, name: p.name }));
  }

  /** Lower-case names of every header, query parameter and cookie a credential may occupy. */
  reservedNames(): ReadonlySet<string> {
    return this.#reserved;
  }

  /**
   * Every value the redactor must remove: resolved secrets, their derived forms (base64 of
   * user:pass, `Basic ...`, `Bearer ...`, prefixed inject values) and the current and recent
   * OAuth tokens. The same array is returned until a new token is issued.
   */
  secretValues(): readonly string[] {
    let key = 0;
    for (const s of this.#oauth) key += s.generation;
    if (key !== this.#secretsKey) {
      const tokens = this.#oauth.flatMap((s) => s.issuedTokens().flatMap((t) => [t, `Bearer ${t}`]));
      this.#secrets = Object.freeze([...new Set([...this.#staticSecrets, ...tokens])]);
      this.#secretsKey = key;
    }
    return this.#secrets;
  }

  /** Token endpoint URLs in use, so the executor's egress can allow their origins. */
  tokenEndpoints(): string[] {
    return [...new Set(this.#oauth.map((s) => s.endpoint))];
  }

  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `CredentialSet { schemes: [${[...this.#bound.keys()].map((n) => JSON.stringify(n)).join(', ')}], inject: ${this.#inject.length} }`;
  }

  toJSON(): { schemes: string[]; inject: number } {
    return { schemes: [...this.#bound.keys()], inject: this.#inject.length };
  }
}

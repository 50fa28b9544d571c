import { Secret, type SecretRef } from '../../config/secret-ref.js';
import type { SchemeCredential } from './credential-schema.js';
import { CredentialSet, AUTHORIZATION, type CredentialSetInput } from './credential-set.js';
import { hiddenParametersOf } from './hidden-parameters.js';
import { oauthCredential, staticCredential, valueProblem, type BoundCredential } from './injector.js';
import { ClientCredentialsTokenSource, basicClientAuth } from './oauth-client-credentials.js';
import { describeNeed, readSecuritySchemes, type SchemeSpec } from './security-schemes.js';

/**
 * Reads the spec's schemes, checks the sidecar's credentials against them, resolves every
 * secret reference, and returns the set with the problems found (`<file>: <key path>:
 * <reason>`). A scheme with a problem stays unusable; operations that need it are
 * unavailable with a reason, the others work.
 */
export async function buildCredentialSet(input: CredentialSetInput): Promise<{ set: CredentialSet; problems: string[] }> {
  const schemes = readSecuritySchemes(input.securitySchemes);
  const problems: string[] = [];
  const bound = new Map<string, BoundCredential>();
  const failed = new Set<string>();
  const staticSecrets: string[] = [];
  const oauth: ClientCredentialsTokenSource[] = [];
  const problem = (path: string, message: string) => problems.push(`${input.file}: ${path}: ${message}`);

  /** Resolves all references of one credential; undefined (with problems recorded) when one fails. */
  const resolveAll = async <K extends string>(path: string, refs: Partial<Record<K, SecretRef>>): Promise<Record<K, string> | undefined> => {
    const out = {} as Record<K, string>;
    let ok = true;
    for (const [k, ref] of Object.entries(refs) as Array<[K, SecretRef | undefined]>) {
      if (ref === undefined) continue;
      const r = await input.resolveSecret(ref);
      if (r.ok) out[k] = r.secret.reveal();
      else {
        problem(`${path}.${k}`, r.message);
        ok = false;
      }
    }
    return ok ? out : undefined;
  };

  for (const [name, cred] of Object.entries(input.config.schemes)) {
    const path = `credentials.schemes.${name}`;
    const spec = schemes.get(name);
    const mismatch = spec === undefined ? missingScheme(name, schemes) : typeMismatch(cred, spec);
    if (mismatch !== null) {
      problem(path, mismatch);
      failed.add(name);
      continue;
    }
    const made = await bindScheme(name, cred, spec as SchemeSpec, path, resolveAll, problem, input);
    if (made === undefined) {
      failed.add(name);
      continue;
    }
    bound.set(name, made.credential);
    staticSecrets.push(...made.secrets);
    if (made.oauth) oauth.push(made.oauth);
  }

  const inject: BoundCredential[] = [];
  const failedInject: string[] = [];
  for (const [i, entry] of input.config.inject.entries()) {
    const path = `credentials.inject[${i}]`;
    let value: string;
    if (typeof entry.value === 'string') value = entry.value;
    else {
      const r = await resolveAll(path, { value: entry.value });
      if (r === undefined) {
        failedInject.push(path);
        continue;
      }
      value = r.value;
      staticSecrets.push(value);
    }
    const full = `${entry.prefix ?? ''}${value}`;
    const bad = valueProblem(entry.in, full);
    if (bad !== null) {
      problem(`${path}.value`, bad);
      failedInject.push(path);
      continue;
    }
    if (typeof entry.value !== 'string' && entry.prefix) staticSecrets.push(full);
    inject.push(staticCredential(`inject[${i}]`, [{ in: entry.in, name: entry.name, value: full }]));
  }

  const hidden = hiddenParametersOf(input.securitySchemes, input.config);
  const set = new CredentialSet({ schemes, bound, failed, inject, failedInject, documentSecurity: input.security, staticSecrets: [...new Set(staticSecrets)], oauth, hidden });
  return { set, problems };
}

function missingScheme(name: string, schemes: Map<string, SchemeSpec>): string {
  const known = [...schemes.keys()].slice(0, 20).map((n) => JSON.stringify(n));
  return known.length === 0
    ? `the spec declares no security schemes, so there is no "${name}" (use credentials.inject for credentials every call needs)`
    : `the spec declares no security scheme "${name}" (it declares ${known.join(', ')})`;
}

/** Why this configured credential cannot serve this scheme, or null. */
function typeMismatch(cred: SchemeCredential, spec: SchemeSpec): string | null {
  if (spec.kind === 'unsupported') return `the spec's scheme cannot be used: ${spec.reason}`;
  if (spec.kind === 'apiKey' && spec.problem !== null) return `the spec's scheme cannot be used: ${spec.problem}`;
  const fits: Record<SchemeCredential['type'], ReadonlyArray<SchemeSpec['kind']>> = {
    apiKey: ['apiKey'],
    basic: ['basic'],
    bearer: ['bearer', 'oauth2', 'openIdConnect'],
    clientCredentials: ['oauth2', 'openIdConnect'],
  };
  if (fits[cred.type].includes(spec.kind)) return null;
  return `type ${cred.type} does not fit the spec's ${describeKind(spec)}, which needs ${describeNeed(spec)}`;
}

function describeKind(spec: SchemeSpec): string {
  switch (spec.kind) {
    case 'apiKey':
      return `apiKey scheme (in ${spec.in} ${spec.name})`;
    case 'basic':
      return 'http basic scheme';
    case 'bearer':
      return 'http bearer scheme';
    default:
      return `${spec.kind} scheme`;
  }
}

type Resolve = <K extends string>(path: string, refs: Partial<Record<K, SecretRef>>) => Promise<Record<K, string> | undefined>;

async function bindScheme(
  name: string,
  cred: SchemeCredential,
  spec: SchemeSpec,
  path: string,
  resolve: Resolve,
  problem: (path: string, message: string) => void,
  input: CredentialSetInput,
): Promise<{ credential: BoundCredential; secrets: string[]; oauth?: ClientCredentialsTokenSource } | undefined> {
  const fail = (at: string, message: string): undefined => {
    problem(at, message);
    return undefined;
  };
  switch (cred.type) {
    case 'apiKey': {
      if (spec.kind !== 'apiKey') return undefined;
      const r = await resolve(path, { value: cred.value });
      if (r === undefined) return undefined;
      const bad = valueProblem(spec.in, r.value);
      if (bad !== null) return fail(`${path}.value`, bad);
      return { credential: staticCredential(name, [{ in: spec.in, name: spec.name, value: r.value }]), secrets: [r.value] };
    }
    case 'basic': {
      const r = await resolve(path, { username: cred.username, password: cred.password });
      if (r === undefined) return undefined;
      const password = r.password ?? '';
      if (r.username.includes(':')) return fail(`${path}.username`, 'a basic user name may not contain ":" (RFC 7617)');
      if (/[\x00-\x1F\x7F]/.test(r.username + password)) return fail(path, 'the user name or password has control characters');
      const encoded = Buffer.from(`${r.username}:${password}`, 'utf8').toString('base64');
      const header = `Basic ${encoded}`;
      // The user name comes from a secret reference like the password: both are redacted (an
      // echoed service-account name tells an attacker half of the credential).
      const secrets = [r.username, ...(password === '' ? [] : [password]), encoded, header];
      return { credential: staticCredential(name, [{ ...AUTHORIZATION, value: header }]), secrets };
    }
    case 'bearer': {
      const r = await resolve(path, { token: cred.token });
      if (r === undefined) return undefined;
      if (!/^[\x21-\x7E]+$/.test(r.token)) return fail(`${path}.token`, 'the token has spaces, control characters or non-ASCII characters');
      const header = `Bearer ${r.token}`;
      return { credential: staticCredential(name, [{ ...AUTHORIZATION, value: header }]), secrets: [r.token, header] };
    }
    case 'clientCredentials': {
      const written = cred.tokenUrl ?? (spec.kind === 'oauth2' ? spec.clientCredentialsTokenUrl : null);
      if (written === null) return fail(`${path}.tokenUrl`, 'the spec\'s scheme has no clientCredentials flow with a tokenUrl: set tokenUrl');
      const tokenUrl = absoluteTokenUrl(written, input.baseUrl);
      if (typeof tokenUrl !== 'object') return fail(`${path}.tokenUrl`, tokenUrl);
      // The spec must not decide where the client secret goes: its tokenUrl is taken only on the
      // API's own origin; another origin has to be written in the sidecar by the operator.
      if (cred.tokenUrl === undefined && input.baseUrl !== undefined && tokenUrl.origin !== new URL(input.baseUrl).origin) {
        return fail(`${path}.tokenUrl`, `the spec's token endpoint ${tokenUrl.origin} is not on the API's origin: write it as tokenUrl in the sidecar to accept it`);
      }
      if (tokenUrl.protocol !== 'https:' && !(tokenUrl.protocol === 'http:' && input.allowHttp)) {
        return fail(`${path}.tokenUrl`, `the token endpoint ${tokenUrl.origin} must use https (the client secret is sent to it)`);
      }
      const r = await resolve(path, { clientId: cred.clientId, clientSecret: cred.clientSecret });
      if (r === undefined) return undefined;
      const source = new ClientCredentialsTokenSource({
        tokenUrl: tokenUrl.href,
        clientId: new Secret(r.clientId),
        clientSecret: new Secret(r.clientSecret),
        scopes: cred.scopes,
        audience: cred.audience,
        resource: cred.resource,
        tokenAuth: cred.tokenAuth,
        transport: input.tokenTransport,
        clock: input.clock,
      });
      const basic = basicClientAuth(r.clientId, r.clientSecret);
      const secrets = [r.clientSecret, r.clientId, basic, basic.slice('Basic '.length)];
      return { credential: oauthCredential(name, source), secrets, oauth: source };
    }
  }
}

function absoluteTokenUrl(written: string, baseUrl: string | undefined): URL | string {
  try {
    return new URL(written, baseUrl);
  } catch {
    return baseUrl === undefined
      ? `the spec's tokenUrl "${written.slice(0, 200)}" is relative and the import has no base URL: set tokenUrl`
      : `the tokenUrl "${written.slice(0, 200)}" is not a URL`;
  }
}

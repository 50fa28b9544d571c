import { HTTP_TOKEN, isForbiddenCredentialHeader } from '../http-names.js';

export type CredentialLocation = 'header' | 'query' | 'cookie';

/** What the gateway can do with one entry of `components.securitySchemes`. */
export type SchemeSpec =
  | { kind: 'apiKey'; in: CredentialLocation; name: string; problem: string | null }
  | { kind: 'basic' }
  | { kind: 'bearer' }
  /** `clientCredentialsTokenUrl`: the flow's tokenUrl as written (may be relative), null without that flow. */
  | { kind: 'oauth2'; flows: string[]; clientCredentialsTokenUrl: string | null }
  | { kind: 'openIdConnect' }
  /** Declared, but no credential the gateway holds can satisfy it. */
  | { kind: 'unsupported'; reason: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads a dereferenced OpenAPI 3.x `components.securitySchemes` (Swagger 2.0 is upgraded
 * before this: `basic` becomes http basic, `application` becomes clientCredentials).
 * Never throws: a malformed scheme becomes `unsupported` with the reason.
 */
export function readSecuritySchemes(value: unknown): Map<string, SchemeSpec> {
  const out = new Map<string, SchemeSpec>();
  if (!isRecord(value)) return out;
  for (const [name, raw] of Object.entries(value)) out.set(name, readScheme(raw));
  return out;
}

function readScheme(raw: unknown): SchemeSpec {
  if (!isRecord(raw)) return { kind: 'unsupported', reason: 'the scheme is not an object' };
  if (typeof raw.$ref === 'string') return { kind: 'unsupported', reason: `the scheme is an unresolved $ref (${raw.$ref.slice(0, 100)})` };
  const type = raw.type;
  switch (type) {
    case 'apiKey': {
      const where = raw.in;
      const name = raw.name;
      if (where !== 'header' && where !== 'query' && where !== 'cookie') {
        return { kind: 'unsupported', reason: 'apiKey scheme without a valid "in" (header, query or cookie)' };
      }
      if (typeof name !== 'string' || name === '') return { kind: 'unsupported', reason: 'apiKey scheme without a "name"' };
      return { kind: 'apiKey', in: where, name, problem: apiKeyNameProblem(where, name) };
    }
    case 'http': {
      const scheme = typeof raw.scheme === 'string' ? raw.scheme.toLowerCase() : '';
      if (scheme === 'basic') return { kind: 'basic' };
      if (scheme === 'bearer') return { kind: 'bearer' };
      return { kind: 'unsupported', reason: `http scheme "${printable(scheme)}" is not supported (only basic and bearer)` };
    }
    case 'oauth2': {
      const flows = isRecord(raw.flows) ? raw.flows : {};
      const cc = flows.clientCredentials;
      const tokenUrl = isRecord(cc) && typeof cc.tokenUrl === 'string' && cc.tokenUrl !== '' ? cc.tokenUrl : null;
      return { kind: 'oauth2', flows: Object.keys(flows), clientCredentialsTokenUrl: tokenUrl };
    }
    case 'openIdConnect':
      return { kind: 'openIdConnect' };
    case 'mutualTLS':
      return { kind: 'unsupported', reason: 'mutualTLS (client certificates) is not supported' };
    default:
      return { kind: 'unsupported', reason: `scheme type "${printable(type)}" is not supported` };
  }
}

/** Why an apiKey scheme's location cannot carry a credential, or null. */
function apiKeyNameProblem(where: CredentialLocation, name: string): string | null {
  if (where === 'query') return null;
  if (!HTTP_TOKEN.test(name)) return `"${printable(name)}" is not a valid ${where} name`;
  if (where === 'header' && isForbiddenCredentialHeader(name)) return `the ${name} header may not carry a credential`;
  return null;
}

/** Spec text in a reason: bounded and without control characters. */
function printable(v: unknown): string {
  return String(v)
    .replace(/[^\x20-\x7E]/g, '?')
    .slice(0, 60);
}

/** Why a requirement on this scheme cannot be met without configured credentials of the right type. */
export function describeNeed(spec: SchemeSpec): string {
  switch (spec.kind) {
    case 'apiKey':
      return `an API key in ${spec.in} ${spec.name} ({type: apiKey})`;
    case 'basic':
      return 'a user name and password ({type: basic})';
    case 'bearer':
      return 'a token ({type: bearer})';
    case 'oauth2':
      return spec.clientCredentialsTokenUrl !== null
        ? 'OAuth2 client credentials ({type: clientCredentials}) or a static token ({type: bearer})'
        : `a static token ({type: bearer}) or client credentials with a tokenUrl: the spec's flows (${spec.flows.join(', ') || 'none'}) need a user`;
    case 'openIdConnect':
      return 'a static token ({type: bearer}) or client credentials with a tokenUrl ({type: clientCredentials})';
    case 'unsupported':
      return spec.reason;
  }
}

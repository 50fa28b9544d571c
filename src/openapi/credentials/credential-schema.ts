import { z } from 'zod';
import { HTTP_TOKEN, isForbiddenCredentialHeader } from '../http-names.js';
import { SecretRefSchema } from '../../config/secret-ref.js';

/**
 * The `credentials` key of an import's sidecar (`<spec>.warden.yaml`): which secret each of the
 * spec's security schemes uses, and credentials to add to every call of specs that declare
 * none. Secrets are only ever references ({env} or {file}); a file path is relative to the
 * sidecar's folder.
 */

/** Names whose literal (non-reference) values are refused: they look like they carry a credential. */
const CREDENTIAL_LIKE_NAME = /auth|cookie|session|key|token|secret|pass|credential|signature/i;

const SchemeNameSchema = z.string().min(1).max(128);

const ApiKeyCredentialSchema = z
  .strictObject({
    type: z.literal('apiKey'),
    value: SecretRefSchema.describe('The API key; the header, query parameter or cookie it goes in is the one the spec\'s scheme names'),
  })
  .describe('For an apiKey scheme');

const BasicCredentialSchema = z
  .strictObject({
    type: z.literal('basic'),
    username: SecretRefSchema.describe('User name (may not contain ":")'),
    password: SecretRefSchema.optional().describe('Password; omit for APIs that take the key as the user name and an empty password'),
  })
  .describe('For an http scheme "basic": sent as Authorization: Basic base64(username:password)');

const BearerCredentialSchema = z
  .strictObject({
    type: z.literal('bearer'),
    token: SecretRefSchema.describe('The token, sent as Authorization: Bearer <token>'),
  })
  .describe('For an http scheme "bearer", or a static token for an oauth2 or openIdConnect scheme');

/** RFC 6749 §3.3 scope-token characters. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

const ClientCredentialsSchema = z
  .strictObject({
    type: z.literal('clientCredentials'),
    clientId: SecretRefSchema,
    clientSecret: SecretRefSchema,
    tokenUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Token endpoint; default: the tokenUrl of the scheme\'s clientCredentials flow in the spec. https unless the import allows http'),
    scopes: z
      .array(z.string().regex(SCOPE_TOKEN, 'must be one OAuth scope (printable ASCII without spaces, " or \\)'))
      .max(100)
      .optional()
      .describe('Scopes requested with every token; default: none (the token endpoint\'s default)'),
    audience: z.string().min(1).max(2048).optional().describe('Sent as the audience parameter (Auth0 and others)'),
    resource: z.url().optional().describe('Sent as the resource parameter (RFC 8707 resource indicator)'),
    tokenAuth: z
      .enum(['basic', 'body'])
      .default('basic')
      .describe('How the client authenticates to the token endpoint: basic = HTTP Basic (RFC 6749 2.3.1), body = client_id and client_secret in the form'),
  })
  .describe('For an oauth2 scheme: the client credentials grant (RFC 6749 4.4); tokens are cached until shortly before they expire and fetched again after a 401');

export const SchemeCredentialSchema = z.discriminatedUnion(
  'type',
  [ApiKeyCredentialSchema, BasicCredentialSchema, BearerCredentialSchema, ClientCredentialsSchema],
  { error: (iss) => (iss.code === 'invalid_union' ? 'type must be one of apiKey, basic, bearer, clientCredentials' : undefined) },
);

const InjectEntrySchema = z
  .strictObject({
    in: z.enum(['header', 'query', 'cookie']),
    name: z.string().min(1).max(256).describe('Header, query parameter or cookie name'),
    value: z
      .union([SecretRefSchema, z.string().min(1).max(4096)])
      .describe('A secret reference, or literal text for values that are not secrets (refused for credential-like names)'),
    prefix: z
      .string()
      .max(64)
      .regex(/^[\x20-\x7E]*$/, 'must be printable ASCII')
      .optional()
      .describe('Literal text before the value, e.g. "Bearer " or "token "'),
  })
  .superRefine((e, ctx) => {
    if ((e.in === 'header' || e.in === 'cookie') && !HTTP_TOKEN.test(e.name)) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: `must be a valid ${e.in} name (letters, digits and !#$%&'*+.^_\`|~-)` });
    }
    if (e.in === 'header' && isForbiddenCredentialHeader(e.name)) {
      ctx.addIssue({
        code: 'custom',
        path: ['name'],
        message: `${e.name} may not carry a credential${e.name.toLowerCase() === 'cookie' ? ' (use in: cookie)' : ''}`,
      });
    }
    if (typeof e.value === 'string' && CREDENTIAL_LIKE_NAME.test(e.name)) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `${e.name} carries a credential: write a secret reference, {env: NAME} or {file: path}` });
    }
  })
  .describe('A credential added to every call of the import, whatever the spec declares');

export const CredentialsConfigSchema = z
  .strictObject({
    schemes: z
      .record(SchemeNameSchema, SchemeCredentialSchema)
      .default({})
      .describe('Credentials per security scheme, keyed by its name in the spec\'s components.securitySchemes'),
    inject: z
      .array(InjectEntrySchema)
      .max(32)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        list.forEach((e, i) => {
          const key = `${e.in}:${e.in === 'header' ? e.name.toLowerCase() : e.name}`;
          if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `${e.in} ${e.name} is injected twice` });
          seen.add(key);
        });
      })
      .describe('Credentials for every call, for specs that declare no security scheme (GitHub, Discourse) or need extra ones; hidden from agents'),
  })
  .prefault({})
  .describe('Credentials of this API, never visible to agents; operations whose security requirements cannot be met are unavailable');

export type CredentialsConfig = z.output<typeof CredentialsConfigSchema>;
export type SchemeCredential = z.output<typeof SchemeCredentialSchema>;
export type InjectEntry = CredentialsConfig['inject'][number];

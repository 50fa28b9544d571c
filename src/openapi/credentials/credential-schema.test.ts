import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { issuesFromZod } from '../../config/issues.js';
import { CredentialsConfigSchema } from './credential-schema.js';

function issues(input: unknown): string[] {
  const r = CredentialsConfigSchema.safeParse(input);
  if (r.success) return [];
  return issuesFromZod('pets.warden.yaml', r.error).map((i) => `${i.path}: ${i.message}`);
}

describe('CredentialsConfigSchema', () => {
  it('accepts every credential type and fills defaults', () => {
    const parsed = CredentialsConfigSchema.parse({
      schemes: {
        api_key: { type: 'apiKey', value: { env: 'PETSTORE_API_KEY' } },
        basic_auth: { type: 'basic', username: { env: 'U' }, password: { file: './pw' } },
        bearer_auth: { type: 'bearer', token: { env: 'T' } },
        oauth: { type: 'clientCredentials', clientId: { env: 'ID' }, clientSecret: { env: 'S' }, scopes: ['read:pets'] },
      },
      inject: [{ in: 'header', name: 'Authorization', value: { env: 'GH_TOKEN' }, prefix: 'Bearer ' }],
    });
    expect(parsed.schemes.oauth).toMatchObject({ tokenAuth: 'basic' });
    expect(CredentialsConfigSchema.parse(undefined)).toEqual({ schemes: {}, inject: [] });
  });

  it('refuses a secret written inline, naming where', () => {
    expect(issues({ schemes: { api_key: { type: 'apiKey', value: 'sk_live_123' } } })).toEqual([
      'schemes.api_key.value: must be a secret reference, {env: NAME} or {file: path}; secrets are never written inline',
    ]);
    expect(issues({ schemes: { b: { type: 'basic', username: { env: 'U' }, password: 'hunter22' } } })).toEqual([
      'schemes.b.password: must be a secret reference, {env: NAME} or {file: path}; secrets are never written inline',
    ]);
  });

  it('refuses an unknown credential type and unknown keys', () => {
    expect(issues({ schemes: { x: { type: 'digest', token: { env: 'T' } } } })).toEqual(['schemes.x.type: type must be one of apiKey, basic, bearer, clientCredentials']);
    expect(issues({ schemes: { x: { type: 'bearer', token: { env: 'T' }, prefix: 'Token ' } } })).toEqual(['schemes.x.prefix: unknown key "prefix"']);
    expect(issues({ schemes: {}, extra: {} })).toEqual(['extra: unknown key "extra"']);
  });

  it('refuses invalid, framing and duplicate injected headers', () => {
    expect(
      issues({
        inject: [
          { in: 'header', name: 'Host', value: { env: 'A' } },
          { in: 'header', name: 'X Bad', value: { env: 'A' } },
          { in: 'header', name: 'Cookie', value: { env: 'A' } },
          { in: 'header', name: 'x-key', value: { env: 'A' } },
          { in: 'header', name: 'X-Key', value: { env: 'B' } },
        ],
      }),
    ).toEqual([
      'inject[0].name: Host may not carry a credential',
      'inject[1].name: must be a valid header name (letters, digits and !#$%&\'*+.^_`|~-)',
      'inject[2].name: Cookie may not carry a credential (use in: cookie)',
      'inject[4].name: header X-Key is injected twice',
    ]);
  });

  it('takes literal text only for names that do not look like credentials', () => {
    expect(issues({ inject: [{ in: 'header', name: 'Api-Username', value: 'system' }] })).toEqual([]);
    expect(issues({ inject: [{ in: 'header', name: 'Authorization', value: 'token ghp_x' }] })).toEqual([
      'inject[0].value: Authorization carries a credential: write a secret reference, {env: NAME} or {file: path}',
    ]);
    expect(issues({ inject: [{ in: 'query', name: 'api_key', value: 'abc' }] })).toHaveLength(1);
  });

  it('refuses a token URL that is not http(s) and a scope with spaces', () => {
    const base = { type: 'clientCredentials', clientId: { env: 'I' }, clientSecret: { env: 'S' } };
    expect(issues({ schemes: { o: { ...base, tokenUrl: 'ftp://auth.example/token' } } })).toHaveLength(1);
    expect(issues({ schemes: { o: { ...base, scopes: ['read write'] } } })).toEqual([
      'schemes.o.scopes[0]: must be one OAuth scope (printable ASCII without spaces, " or \\)',
    ]);
  });

  it('renders as a JSON Schema for the docs', () => {
    const schema = JSON.stringify(z.toJSONSchema(CredentialsConfigSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' }));
    expect(schema).toContain('clientCredentials');
    expect(schema).toContain('keyed by its name in the spec');
  });
});

import { describe, expect, it } from 'vitest';
import { resolveBaseUrl } from './base-url.js';

const withServers = (servers: unknown[]) => ({ openapi: '3.1.0', servers });
const uspto = withServers([{ url: '{scheme}://developer.uspto.gov/ds-api', variables: { scheme: { enum: ['https', 'http'], default: 'https' } } }]);

describe('base URL', () => {
  it('takes the operator\'s baseUrl over the spec\'s servers', () => {
    const r = resolveBaseUrl(uspto, { baseUrl: 'https://api.example.test/v2/', allowHttp: false });
    expect(r).toEqual({ ok: true, fromSpec: false, base: { origin: 'https://api.example.test', basePath: '/v2', href: 'https://api.example.test/v2' } });
  });

  it('fills server variables from their defaults, or from the sidecar only with values their enum allows', () => {
    expect(resolveBaseUrl(uspto, { allowHttp: false })).toMatchObject({ ok: true, base: { href: 'https://developer.uspto.gov/ds-api' } });
    expect(resolveBaseUrl(uspto, { serverVariables: { scheme: 'evil.com' }, allowHttp: true })).toMatchObject({ ok: false, reason: expect.stringContaining('must be one of') });
    expect(resolveBaseUrl(uspto, { serverVariables: { host: 'x' }, allowHttp: true })).toMatchObject({ ok: false, reason: expect.stringContaining('no such variable') });
  });

  it('refuses a downgrade to http unless allowHttp is set', () => {
    expect(resolveBaseUrl(uspto, { serverVariables: { scheme: 'http' }, allowHttp: false })).toMatchObject({ ok: false, reason: expect.stringContaining('allowHttp') });
    expect(resolveBaseUrl(uspto, { serverVariables: { scheme: 'http' }, allowHttp: true })).toMatchObject({ ok: true, base: { origin: 'http://developer.uspto.gov' } });
  });

  it('refuses relative server URLs, variables that change the URL\'s structure, and credentials in the URL', () => {
    expect(resolveBaseUrl(withServers([{ url: '/api/v1' }]), { allowHttp: false })).toMatchObject({ ok: false, reason: expect.stringContaining('set baseUrl') });
    const free = withServers([{ url: 'https://{region}.example.test', variables: { region: { default: 'eu' } } }]);
    expect(resolveBaseUrl(free, { serverVariables: { region: '169.254.169.254/x' }, allowHttp: false })).toMatchObject({ ok: false });
    expect(resolveBaseUrl(free, { serverVariables: { region: 'us' }, allowHttp: false })).toMatchObject({ ok: true, base: { origin: 'https://us.example.test' } });
    expect(resolveBaseUrl({}, { baseUrl: 'https://user:pw@example.test', allowHttp: false })).toMatchObject({ ok: false, reason: expect.stringContaining('credentials') });
    expect(resolveBaseUrl({}, { allowHttp: false })).toMatchObject({ ok: false, reason: expect.stringContaining('no server') });
  });
});

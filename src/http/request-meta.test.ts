import { describe, expect, it } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { credentialFrom, pathCarriesCredential, pathOf, queryCarriesCredential, traceFrom } from './request-meta.js';
import { jsonDepthExceeds } from '../util/json-guard.js';
import { scanJson } from '../util/json-scan.js';

const req = (headers: Record<string, string>) => ({ headers }) as unknown as IncomingMessage;

describe('request metadata', () => {
  it('takes a bearer token or x-api-key, and refuses two different ones', () => {
    expect(credentialFrom(req({ authorization: 'Bearer abc', 'x-api-key': 'def' }))).toBe('conflict');
    expect(credentialFrom(req({ authorization: 'Bearer abc', 'x-api-key': 'abc' }))).toEqual({ scheme: 'bearer', value: 'abc' });
    expect(credentialFrom(req({ authorization: 'Basic abc', 'x-api-key': 'def' }))).toBe('conflict');
    expect(credentialFrom(req({ authorization: 'Bearer abc' }))).toEqual({ scheme: 'bearer', value: 'abc' });
    expect(credentialFrom(req({ 'x-api-key': ' def ' }))).toEqual({ scheme: 'x-api-key', value: 'def' });
    expect(credentialFrom(req({ authorization: 'Basic abc' }))).toBeNull();
    expect(credentialFrom(req({}))).toBeNull();
  });

  it('refuses two different values of one credential header, and treats an empty header as absent', () => {
    const raw = (...pairs: string[]) => ({ headers: {}, rawHeaders: pairs }) as unknown as IncomingMessage;
    expect(credentialFrom(raw('Authorization', 'Bearer abc', 'authorization', 'Bearer junk'))).toBe('conflict');
    expect(credentialFrom(raw('x-api-key', 'abc', 'X-Api-Key', 'junk'))).toBe('conflict');
    expect(credentialFrom(raw('Authorization', 'Bearer abc', 'Authorization', 'Bearer abc'))).toEqual({ scheme: 'bearer', value: 'abc' });
    // The scheme's case does not make another credential (RFC 9110); another scheme does.
    expect(credentialFrom(raw('Authorization', 'bearer abc', 'Authorization', 'Bearer abc'))).toEqual({ scheme: 'bearer', value: 'abc' });
    expect(credentialFrom(raw('Authorization', 'Basic abc', 'Authorization', 'Bearer abc'))).toBe('conflict');
    expect(credentialFrom(raw('Authorization', 'Bearer abc', 'Authorization', 'Basic abc'))).toBe('conflict');
    expect(credentialFrom(raw('Authorization', '', 'x-api-key', 'def'))).toEqual({ scheme: 'x-api-key', value: 'def' });
    expect(credentialFrom(raw('Authorization', '  ', 'Authorization', 'Bearer abc'))).toEqual({ scheme: 'bearer', value: 'abc' });
  });

  it('refuses credential-looking query parameters and Warden keys in any parameter', () => {
    expect(queryCarriesCredential('/v1/whoami?api_key=x')).toBe(true);
    expect(queryCarriesCredential('/v1/whoami?Token=x')).toBe(true);
    expect(queryCarriesCredential('/v1/whoami?q=wdn_abc')).toBe(true);
    expect(queryCarriesCredential('/v1/whoami?q=hello')).toBe(false);
    expect(queryCarriesCredential('/v1/whoami')).toBe(false);
  });

  it('logs paths without their query string and with key-shaped segments masked', () => {
    expect(pathOf('/a/b?api_key=secret')).toBe('/a/b');
    expect(pathOf('/admin/keys/wdn_abcDEF123')).toBe('/admin/keys/wdn_[redacted]');
    expect(queryCarriesCredential('/x?q=+wdn_abc')).toBe(true);
  });

  it('masks and detects credentials hidden by percent-encoding in the path', () => {
    expect(pathOf('/admin/keys/%77dn_abcDEF123')).toBe('/admin/keys/wdn_[redacted]');
    // A prefix in another case is no key, but what follows it may still be one's secret.
    expect(pathOf('/v1/models/WDN_abcDEF123')).toBe('/v1/models/wdn_[redacted]');
    expect(pathCarriesCredential('/v1/models/WdnAdm_abcDEF123')).toBe(true);
    expect(pathOf('/admin/keys/%2577dn_abc%44EF123?x=1')).toBe('/admin/keys/wdn_[redacted]');
    expect(pathOf('/admin/keys/wdn_abc%44EF123')).toBe('/admin/keys/wdn_[redacted]');
    expect(pathOf('/v1/models/%zz%77dnadm_tok')).toBe('/v1/models/%zzwdn_[redacted]');
    expect(pathOf('/v1/models/gpt%204o')).toBe('/v1/models/gpt%204o');
    expect(pathCarriesCredential('/admin/agents/%77dn_x/keys')).toBe(true);
    expect(pathCarriesCredential('/admin/agents/alpha?q=wdn_x')).toBe(false);
    expect(pathCarriesCredential('/admin/agents/alpha')).toBe(false);
  });

  it('continues a valid W3C trace and starts a new one otherwise', () => {
    const t = traceFrom(req({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }));
    expect(t).toEqual({ traceId: '0af7651916cd43dd8448eb211c80319c', parentId: 'b7ad6b7169203331' });
    const n = traceFrom(req({ traceparent: '00-00000000000000000000000000000000-b7ad6b7169203331-01' }));
    expect(n.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(n.traceId).not.toBe('00000000000000000000000000000000');
    expect(n.parentId).toBeNull();
  });

  it('measures JSON nesting without recursion and ignores brackets inside strings', () => {
    expect(jsonDepthExceeds('['.repeat(100_000), 64)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(1000)}"}`, 64)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"[[["}`, 2)).toBe(false);
    expect(jsonDepthExceeds('[[[]]]', 3)).toBe(false);
    expect(jsonDepthExceeds('[[[[]]]]', 3)).toBe(true);
  });

  it('finds duplicate keys at any depth, and only in objects', () => {
    const jsonHasDuplicateKeys = (text: string) => scanJson(Buffer.from(text), Infinity).problem === 'duplicate-key';
    expect(jsonHasDuplicateKeys('{"name":"read_file","name":"delete_repo"}')).toBe(true);
    expect(jsonHasDuplicateKeys('{"a":{"x":1,"x":2}}')).toBe(true);
    expect(jsonHasDuplicateKeys('{"a":"x","b":"\\"a\\":"}')).toBe(false);
    expect(jsonHasDuplicateKeys('[{"a":1},{"a":2}]')).toBe(false);
    expect(jsonHasDuplicateKeys('{"a":1,"\\u0061":2}')).toBe(true);
    expect(jsonHasDuplicateKeys('{"a":["a","a"]}')).toBe(false);
  });
});

/** Header and cookie names the OpenAPI layers agree on: one list, used by the schema mapper, the request builder and the credentials. */

/** RFC 9110 `token`: header field names, and cookie names (RFC 6265 uses the same rule). */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * Framing, routing and hop-by-hop headers (RFC 9110 7.6.1): the HTTP client owns them; a
 * value from anyone else would change where or how the request goes.
 */
const TRANSPORT_HEADERS = [
  'host',
  'content-length',
  'content-type',
  'content-encoding',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'upgrade',
  'te',
  'trailer',
  'expect',
];

/**
 * Headers an agent never controls: the transport's, the credentials' (the gateway injects
 * them), and Accept/Accept-Encoding, which the request builder and the egress own (OAS says
 * to ignore Accept, Content-Type and Authorization as parameters).
 */
export const AGENT_FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([
  ...TRANSPORT_HEADERS,
  'authorization',
  'proxy-authorization',
  'cookie',
  'accept',
  'accept-encoding',
  // Frameworks that honour these would let an agent turn a GET into a DELETE, or change the
  // path after the gateway checked it.
  'x-http-method-override',
  'x-http-method',
  'x-method-override',
  'x-original-url',
  'x-original-uri',
  'x-original-method',
  'x-original-host',
  'x-rewrite-url',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-prefix',
  'x-forwarded-uri',
  'x-forwarded-path',
  'x-forwarded-port',
  'x-forwarded-scheme',
  'x-forwarded-server',
  'x-host',
  'x-real-ip',
]);

/**
 * Headers a credential may never set: the transport's, and Cookie, which credentials reach
 * through `in: cookie` so that several of them can share the one header.
 */
const CREDENTIAL_FORBIDDEN_HEADERS: ReadonlySet<string> = new Set([...TRANSPORT_HEADERS, 'cookie']);

export function isForbiddenCredentialHeader(name: string): boolean {
  const lower = name.toLowerCase();
  return CREDENTIAL_FORBIDDEN_HEADERS.has(lower) || lower.startsWith('content-');
}

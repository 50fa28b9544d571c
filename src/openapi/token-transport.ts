import type { Egress } from '../egress/egress.js';
import type { TokenTransport } from './credentials/oauth-client-credentials.js';

/**
 * OAuth token endpoint calls go through the egress like every other outbound call: to the
 * token URL's own origin (it may differ from the API's), with the import's `internal` setting,
 * no redirects, short deadlines and a small byte cap (a token response is a few hundred bytes).
 */
export function egressTokenTransport(egress: Egress, internal: boolean): TokenTransport {
  return async (req) => {
    const url = new URL(req.url);
    const answer = await egress.request(
      { origin: url.origin, internal },
      {
        method: 'POST',
        path: url.pathname + url.search,
        headers: req.headers,
        body: req.body,
        signal: req.signal,
        timeouts: { connectMs: 5_000, firstByteMs: 15_000, totalMs: 20_000 },
        maxBytes: 64 * 1024,
        redirects: 'none',
      },
    );
    return { status: answer.status, body: answer.body };
  };
}

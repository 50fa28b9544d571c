/**
 * One call of an imported operation: arguments checked against the tool's schema (the API
 * is not called when they fail), the request built from the stored plan, credentials added,
 * sent through the egress module, and the answer turned into a tool result with every
 * credential value redacted. Failures of the API or of the network are tool errors
 * (`isError`), as MCP wants; only gateway faults are JSON-RPC errors.
 */
import { performance } from 'node:perf_hooks';
import type { Egress } from '../egress/egress.js';
import { EgressError, isTlsFailure } from '../egress/egress-error.js';
import { GatewayError } from '../errors/gateway-error.js';
import { ForwardFailure } from '../pipeline/policy.js';
import { TokenError } from './credentials/oauth-client-credentials.js';
import { MIN_REDACTED_LENGTH, redactDeep, redactSecrets } from '../util/redact-secrets.js';
import type { ImportedApi, OpenApiTool } from './import-api.js';
import type { BuiltRequest } from './plan.js';
import { buildRequest } from './request/build-request.js';
import { errorResult, toToolResult } from './result.js';

export interface OperationCallResult {
  result: Record<string, unknown>;
  /** For the audit record: what happened, never a value. */
  details: Record<string, unknown>;
  /** false: answered without calling the API (arguments refused, a local discovery tool): nothing to charge. */
  sent?: false;
}

export async function callOperation(api: ImportedApi, tool: OpenApiTool, args: Record<string, unknown>, io: { egress: Egress; signal: AbortSignal }): Promise<OperationCallResult> {
  const base = { api: api.id, operation: tool.key, upstream: api.id, tool: tool.name, dataLabel: api.sidecar.dataLabel };
  // Schema violations first, then what only building the request reveals (a dot segment, a control character).
  const invalid = (problems: string[]): OperationCallResult => ({
    result: errorResult(`Invalid arguments for ${tool.name}; the API was not called:\n${problems.map((p) => `- ${p}`).join('\n')}`),
    details: { ...base, outcome: 'invalid-arguments', violations: problems.length },
    sent: false,
  });
  const violations = tool.checkArguments()(args);
  if (violations.length > 0) return invalid(violations);
  const built = buildRequest(tool.plan, args, { basePath: api.base.basePath, reserved: api.credentials.reservedNames() });
  if (!built.ok) return invalid(built.problems);
  const redact = (text: string) => redactSecrets(text, api.credentials.secretValues());
  const redactValue = (value: unknown) => redactDeep(value, api.credentials.secretValues());
  const holdsSecret = (body: Buffer) => api.credentials.secretValues().some((v) => v.length >= MIN_REDACTED_LENGTH && body.includes(v));
  const t0 = performance.now();
  let attempts = 0;
  // Written to a connection: the API may have acted on it. Before that (connecting, refused,
  // waiting for a connection), nothing reached it and nothing is charged.
  let sent = false;
  const markSent = () => void (sent = true);
  try {
    for (;;) {
      attempts++;
      // Credentials go on a copy: a retry after a refreshed token starts from the agent's request again.
      const req = copyRequest(built.request);
      await tool.injector.apply(req, io.signal);
      // The pairs the injector added: a same-origin redirect must carry them too.
      const credentialQuery = req.query.filter((pair) => !built.request.query.includes(pair));
      const answer = await io.egress.request(
        { origin: api.base.origin, internal: api.sidecar.internal },
        {
          method: req.method,
          path: req.query.length > 0 ? `${req.path}?${req.query.join('&')}` : req.path,
          headers: wireHeaders(req),
          ...(req.body ? { body: req.body.data } : {}),
          signal: io.signal,
          timeouts: tool.timeouts,
          maxBytes: tool.maxResponseBytes,
          redirects: api.sidecar.redirects,
          keepQuery: credentialQuery,
          onWritten: markSent,
        },
      );
      if (answer.status === 401 && attempts === 1 && (await tool.injector.afterUnauthorized(req))) continue;
      const upstreamMs = round(performance.now() - t0);
      const checkOutput = tool.checkOutput();
      const result = toToolResult(answer, {
        maxResultChars: api.sidecar.maxResultChars,
        redact,
        redactValue,
        holdsSecret,
        resourceUri: `openapi://${api.id}/${tool.name}`,
        checkOutput: checkOutput ?? undefined,
      });
      return {
        result,
        details: { ...base, outcome: answer.status >= 200 && answer.status < 300 ? 'ok' : 'http-error', status: answer.status, upstreamMs, responseBytes: answer.body.length, attempts, ...(result.isError === true ? { isError: true } : {}) },
      };
    }
  } catch (err) {
    const upstreamMs = round(performance.now() - t0);
    if (io.signal.aborted) {
      const gone = new GatewayError('CLIENT_CLOSED_REQUEST', 'The client went away before the API answered');
      // The API may have acted on a request it received: the call counts as if it had answered.
      if (sent) throw new ForwardFailure(gone, { details: { ...base, outcome: 'client-gone', upstreamMs, attempts } });
      throw gone;
    }
    const unsent = sent ? {} : { sent: false as const };
    if (err instanceof EgressError) {
      return { result: errorResult(redact(egressMessage(err, tool))), details: { ...base, outcome: 'network-error', egress: err.code, ...(err.phase ? { phase: err.phase } : {}), upstreamMs, attempts }, ...unsent };
    }
    if (err instanceof TokenError) {
      return { result: errorResult(redact(`The API's credentials could not be obtained: ${(err as Error).message}`)), details: { ...base, outcome: 'credential-error', upstreamMs }, ...unsent };
    }
    throw err;
  }
}

function egressMessage(err: EgressError, tool: OpenApiTool): string {
  switch (err.code) {
    case 'EGRESS_TIMEOUT':
      return `The API did not answer in time (${err.phase === 'connect' ? `connecting took over ${tool.timeouts.connectMs} ms` : err.phase === 'first-byte' ? `no response within ${tool.timeouts.firstByteMs} ms` : `the call took over ${tool.timeouts.totalMs} ms`}).`;
    case 'EGRESS_TOO_LARGE':
      return `The API's response is larger than ${tool.maxResponseBytes} bytes; the gateway stopped reading it.`;
    case 'EGRESS_ADDRESS_REFUSED':
      return 'The API\'s address is in a range the gateway does not call (loopback, private or link-local) unless the import is marked internal.';
    case 'EGRESS_ORIGIN_REFUSED':
      return 'The API redirected to another origin, which the gateway does not follow.';
    case 'EGRESS_DNS':
      return 'The API\'s host name does not resolve.';
    case 'EGRESS_CONNECT':
      return isTlsFailure(err.reason) ? `The API's TLS handshake failed (${err.reason}).` : 'The API could not be reached (connection refused or closed).';
    default:
      return 'The API sent a response the gateway cannot read.';
  }
}

function copyRequest(r: BuiltRequest): BuiltRequest {
  return { ...r, query: [...r.query], headers: { ...r.headers }, cookies: [...r.cookies] };
}

/** The request's headers plus what the builder left to the sender: the body's type and the one Cookie header. */
function wireHeaders(r: BuiltRequest): Record<string, string> {
  const headers = { ...r.headers };
  if (r.body?.contentType) headers['content-type'] = r.body.contentType;
  if (r.cookies.length > 0) headers.cookie = r.cookies.join('; ');
  return headers;
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

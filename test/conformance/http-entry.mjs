// Serves one MCP server factory on /mcp for both protocol eras:
// - 2026-07-28 requests (per-request `_meta` envelope) go to the SDK's createMcpHandler;
// - 2025-era requests get real sessions (Mcp-Session-Id, GET streams, resumable SSE),
//   which the SDK's own legacy fallback does not offer (it is stateless), and which the
//   conformance scenarios for SSE streams and resources/subscribe rely on.
// Host and Origin are checked first, as a local server must (DNS-rebinding protection).
import { randomUUID } from 'node:crypto';
import {
  WebStandardStreamableHTTPServerTransport,
  createMcpHandler,
  hostHeaderValidationResponse,
  isInitializeRequest,
  isLegacyRequest,
  localhostAllowedHostnames,
  localhostAllowedOrigins,
  originValidationResponse,
  readRequestBody,
} from '@modelcontextprotocol/server';
import { MemoryEventStore } from './memory-event-store.mjs';

/** Sent as the SSE `retry` field so clients reconnect quickly after a closed stream. */
const RETRY_MS = 200;

function jsonRpcError(status, code, message) {
  return Response.json({ jsonrpc: '2.0', id: null, error: { code, message } }, { status });
}

/** 2025-era sessions: one transport and one server instance per Mcp-Session-Id. */
function createLegacySessions(factory, onerror) {
  const sessions = new Map();

  async function open(request) {
    const read = await readRequestBody(request);
    if (read.tooLarge) return jsonRpcError(413, -32600, 'Request body too large');
    let body;
    try {
      body = JSON.parse(read.text);
    } catch {
      return jsonRpcError(400, -32700, 'Parse error');
    }
    if (!isInitializeRequest(body)) return jsonRpcError(400, -32000, 'Bad Request: no valid session id provided');
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: randomUUID,
      eventStore: new MemoryEventStore(),
      retryInterval: RETRY_MS,
      onsessioninitialized: (id) => void sessions.set(id, transport),
      onsessionclosed: (id) => void sessions.delete(id),
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    const server = await factory({ era: 'legacy', requestInfo: request });
    server.server.onerror = onerror;
    await server.connect(transport);
    return transport.handleRequest(request, { parsedBody: body });
  }

  return {
    async handle(request) {
      const id = request.headers.get('mcp-session-id');
      if (!id) return request.method === 'POST' ? open(request) : jsonRpcError(400, -32000, 'Bad Request: Mcp-Session-Id header is required');
      const transport = sessions.get(id);
      if (!transport) return jsonRpcError(404, -32001, 'Session not found');
      return transport.handleRequest(request);
    },
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(open.map((t) => t.close()));
    },
  };
}

/**
 * @param {(ctx: { era: 'legacy' | 'modern' }) => import('@modelcontextprotocol/server').McpServer} factory
 * @returns {{ fetch(request: Request): Promise<Response>, close(): Promise<void> }}
 */
export function createDualEraEntry(factory, { onerror = () => {} } = {}) {
  const modern = createMcpHandler((ctx) => factory({ era: 'modern', ...ctx }), { legacy: 'reject', onerror });
  const legacy = createLegacySessions(factory, onerror);
  return {
    async fetch(request) {
      const rejected =
        hostHeaderValidationResponse(request, localhostAllowedHostnames()) ?? originValidationResponse(request, localhostAllowedOrigins());
      if (rejected) return rejected;
      if (new URL(request.url).pathname !== '/mcp') return new Response('Not found', { status: 404 });
      return (await isLegacyRequest(request)) ? legacy.handle(request) : modern.fetch(request);
    },
    async close() {
      await Promise.allSettled([modern.close(), legacy.close()]);
    },
  };
}

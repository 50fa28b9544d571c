// The cheapest Streamable HTTP MCP server that is still correct, for bench/mcp-call.mjs: one
// `echo` tool, JSON answers only, no sessions, no SDK. Its own CPU per call stays small, so the
// difference between a direct run and a run through the gateway is the gateway's cost.
// Speaks 2026-07-28 (server/discover, per-request `_meta` envelope, `resultType`) and answers a
// 2025-11-25 `initialize` too (without a session id, which the protocol allows), so clients of
// either era can use it. Prints "LISTENING <port>" once bound to 127.0.0.1.
import { createServer } from 'node:http';

const MODERN = '2026-07-28';
const LEGACY = ['2025-11-25', '2025-06-18', '2025-03-26'];
const SERVER_INFO = { name: 'bench-echo', version: '1.0.0' };
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
const TOOLS = [
  {
    name: 'echo',
    description: 'Returns its message',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
    annotations: { readOnlyHint: true },
  },
];

function answer(msg) {
  const params = msg.params ?? {};
  const modern = params._meta?.[META_VERSION] === MODERN;
  // `resultType` exists on 2026-07-28 results only.
  const done = (result) => ({ jsonrpc: '2.0', id: msg.id, result: modern ? { ...result, resultType: 'complete' } : result });
  switch (msg.method) {
    case 'tools/call': {
      if (params.name !== 'echo') return { jsonrpc: '2.0', id: msg.id, error: { code: -32602, message: `Unknown tool: ${params.name}` } };
      return done({ content: [{ type: 'text', text: String(params.arguments?.message ?? '') }] });
    }
    case 'tools/list':
      return done({ tools: TOOLS });
    case 'server/discover':
      return done({ supportedVersions: [MODERN, ...LEGACY], capabilities: { tools: {} }, _meta: { [META_SERVER_INFO]: SERVER_INFO } });
    case 'initialize': {
      const asked = params.protocolVersion;
      return done({ protocolVersion: LEGACY.includes(asked) ? asked : LEGACY[0], capabilities: { tools: {} }, serverInfo: SERVER_INFO });
    }
    case 'ping':
      return done({});
    default:
      return { jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `Method not found: ${msg.method}` } };
  }
}

const server = createServer((req, res) => {
  if (req.method !== 'POST') {
    // No standalone stream and no sessions to delete.
    res.writeHead(405, { allow: 'POST' }).end();
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    let msg;
    try {
      msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400, { 'content-type': 'application/json' }).end('{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}');
      return;
    }
    if (msg === null || typeof msg !== 'object' || msg.id === undefined || typeof msg.method !== 'string') {
      res.writeHead(202).end(); // notifications and responses need no answer
      return;
    }
    const body = JSON.stringify(answer(msg));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`LISTENING ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)) && server.closeAllConnections());

#!/usr/bin/env node
// The conformance upstream: a reference MCP server that passes the whole active server
// suite of @modelcontextprotocol/conformance 0.1.16, on http://127.0.0.1:<port>/mcp.
//
//   node test/conformance/upstream.mjs [--port N]      (or env PORT; 0 = ephemeral, the default)
//
// Prints one JSON line on stdout once listening: {"msg":"listening","url":".../mcp","port":N}.
// Serves 2026-07-28 (stateless, per request) and 2025-era clients (sessions) on the same URL.
import { createServer } from 'node:http';
import { createDualEraEntry } from './http-entry.mjs';
import { nodeListener } from './node-fetch-bridge.mjs';
import { createReferenceServer } from './reference-server.mjs';

function portFromArgs(argv, env) {
  const i = argv.indexOf('--port');
  const raw = i >= 0 ? argv[i + 1] : env.PORT ?? '0';
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port: ${raw}`);
  return port;
}

const logError = (err) => process.stderr.write(`conformance upstream: ${err?.stack ?? err}\n`);
const entry = createDualEraEntry(createReferenceServer, { onerror: logError });
const server = createServer(nodeListener(entry.fetch, logError));

server.listen(portFromArgs(process.argv.slice(2), process.env), '127.0.0.1', () => {
  const { port } = server.address();
  process.stdout.write(`${JSON.stringify({ msg: 'listening', url: `http://127.0.0.1:${port}/mcp`, port })}\n`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    void entry.close().finally(() => process.exit(0));
  });
}

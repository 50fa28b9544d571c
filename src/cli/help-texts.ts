/**
 * Help texts of the commands `warden --help` prints in full. Kept apart from the commands, so
 * that the help and the CLI's start load none of them (import-help.ts is the import command's).
 */

export const START_HELP = `warden start [--config warden.yaml] [--host H] [--port P] [--data-dir D] [--catalog DIR]
  Starts the gateway (default 127.0.0.1:8080, SQLite under ./data, catalog ./agents-catalog).
  SIGTERM/SIGINT: graceful drain then exit 0; a second signal exits at once.`;

export const CHECK_HELP = `warden check [--config warden.yaml] [--catalog DIR]
  Validates the configuration (LLM providers included), the agent catalog, every OpenAPI
  import and every secret reference without starting anything. Exit 0 when valid, 1 with a report of every problem
  otherwise. (A running gateway serves the imports that load and reports the others.)`;

export const AGENTS_HELP = `warden agents <verb>
  list                                   agents in the catalog with their effective status
  keys create <agent> [--label L] [--expires ISO-DATETIME | --ttl-days N] [--json]
                                         print a new key once (only its hash is stored)
  keys list [agent] [--json]             key ids, created, last used, expiry, revoked
  keys revoke <key-id>                   the key stops working at once
  suspend <agent> [--reason R]           runtime suspension (overrides the file's status)
  resume <agent>                         lift a runtime suspension
--expires: an ISO 8601 date-time with Z or ±hh:mm, in the future; --ttl-days: 1..3650.
All verbs work whether or not the gateway is running. A running gateway (the one whose
gateway.json is in the data folder) has applied a change when the command returns.`;

export const MCP_STDIO_HELP = `warden mcp-stdio [--url URL | --config warden.yaml] [--key-env VAR | --key-file FILE]
  Lets a local MCP client that only speaks stdio use the gateway: newline-delimited
  JSON-RPC on stdin goes to the gateway's /mcp with the agent key, every answer and
  notification comes back on stdout (diagnostics on stderr). Works for 2025-11-25 and
  2026-07-28 clients. The key comes from the environment (default WARDEN_AGENT_KEY) or a
  file, never from the command line. URL default: http://127.0.0.1:8080/mcp, or the
  listen address of --config.`;

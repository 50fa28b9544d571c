/** Kept apart from import-command.ts so `warden --help` does not load the OpenAPI parser. */
export const IMPORT_HELP = `warden import <spec file> [--sidecar FILE] [--check] [--force] [--json]
  Imports an OpenAPI 3.x or Swagger 2.0 spec (JSON or YAML) as MCP tools: prints what it
  becomes (namespace, base URL, one tool per operation with its method, path, risk class and
  whether the gateway will hold it for review or cannot list it, the operations skipped and why) and copies the spec (and its sidecar, by default
  <name>.warden.yaml beside it) into the imports folder, where a running gateway picks it up.
  --check   only report; copy nothing
  --force   replace a spec of the same file name already in the imports folder
  --json    the report as one JSON object
  --config FILE / --imports DIR  which gateway's imports folder (default: warden.yaml's importsDir)
Exit status: 0 imported (or importable), 1 the spec cannot be imported (the report says why).`;

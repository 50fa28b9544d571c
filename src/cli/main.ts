#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/issues.js';
import { describeFsError, UsageError, type Io } from './common.js';
import { AGENTS_HELP, CHECK_HELP, MCP_STDIO_HELP, START_HELP } from './help-texts.js';
import { IMPORT_HELP } from './import-help.js';

const HELP = `warden: a governance gateway for AI agents

Usage: warden <command> [options]
  start            start the gateway (what \`npm start\` runs)
  check            validate configuration and catalog without starting
  agents ...       catalog agents, keys and suspensions (warden agents --help)
  audit ...        verify | query | export | prune | checkpoint | reindex (warden audit --help)
  tools ...        list | pending | approve | reject tool versions: MCP upstreams and imports (warden tools --help)
  budgets ...      status | reset per-agent budgets (warden budgets --help)
  import <file>    report what an OpenAPI spec becomes and copy it into the imports folder (--check: report only)
  mcp-stdio        bridge a local stdio MCP client to the gateway with an agent key
  schema [--write] print (or write to schema/agent.schema.json) the catalog JSON Schema
  --version        print the version

Common options: --config FILE (default ./warden.yaml if present), --data-dir DIR,
--catalog DIR, --host H, --port P.

${START_HELP}

${CHECK_HELP}

${AGENTS_HELP}

${MCP_STDIO_HELP}

${IMPORT_HELP}
`;

async function main(argv: string[]): Promise<number> {
  const io: Io = { out: process.stdout, err: process.stderr };
  const [cmd, ...rest] = argv;
  switch (cmd) {
    // Each command is loaded when it runs: `start` alone pulls in the whole gateway, which
    // would otherwise make every other command (and the help) start about ten times slower.
    case 'start':
      return (await import('./start-command.js')).startCommand(rest, io);
    case 'check':
      return (await import('./check-command.js')).checkCommand(rest, io);
    case 'agents':
      return (await import('./agents-command.js')).agentsCommand(rest, io);
    case 'tools':
      return (await import('./tools-command.js')).toolsCommand(rest, io);
    case 'budgets':
      return (await import('./budgets-command.js')).budgetsCommand(rest, io);
    case 'import':
      return (await import('./import-command.js')).importCommand(rest, io);
    case 'audit': {
      const { auditContext } = await import('./audit-context.js');
      const { argv: own, ctx } = await auditContext(rest, io);
      return (await import('./audit-command.js')).auditCommand(own, ctx);
    }
    case 'schema':
      return (await import('./schema-command.js')).schemaCommand(rest, io);
    case 'mcp-stdio':
      return (await import('./mcp-stdio-command.js')).mcpStdioCommand(rest, io);
    case '--version':
    case 'version': {
      const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
      io.out.write(`${pkg.version}\n`);
      return 0;
    }
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      io.out.write(HELP);
      return cmd === undefined ? 2 : 0;
    default:
      io.err.write(`unknown command: ${cmd}\n\n${HELP}`);
      return 2;
  }
}

// `warden agents list | head` closes the pipe early: that is not an error. A command that
// listens to stdout's errors itself (audit export, whose output must be whole) reports them.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (process.stdout.listenerCount('error') > 1) return;
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.stderr.write(`error: writing to standard output failed: ${describeFsError(err)}\n`);
  process.exit(1);
});

/** parseArgs explains itself at length; keep the first sentence. */
function usageMessage(message: string): string {
  return message.split(/\. To specify a positional argument|\. Did you forget/)[0]!.replace(/\.$/, '');
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
    // A stopped gateway has closed everything it owns; exit even if a stray handle lingers.
    if (process.argv[2] === 'start') setImmediate(() => process.exit(code));
  },
  (err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exitCode = 1;
    } else if (err instanceof UsageError || (err as { name?: string })?.name === 'UsageError') {
      process.stderr.write(`usage: ${usageMessage((err as Error).message)} (see warden --help)\n`);
      process.exitCode = 2;
    } else {
      // Expected failures (a missing file, a locked database) read better without a stack trace.
      const e = err as Error & { code?: string };
      process.stderr.write(`error: ${process.env.WARDEN_DEBUG ? (e?.stack ?? String(err)) : (e?.message ?? String(err))}\n`);
      process.exitCode = 1;
    }
    // A start that failed half-way must not linger on a handle it opened (a worker, a timer).
    if (process.argv[2] === 'start') setImmediate(() => process.exit(process.exitCode ?? 1));
  },
);

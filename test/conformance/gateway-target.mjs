// Puts the Warden gateway in front of an MCP upstream for the conformance suite: a temp
// workspace whose config trusts that one upstream, one agent allowed every tool, an agent
// key, and the auth proxy (the suite cannot send the key itself).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAuthProxy } from './auth-proxy.mjs';
import { jsonLine, startChild, waitForLine } from './child-process.mjs';

const run = promisify(execFile);
const AGENT_ID = 'conformance';
export const UPSTREAM_ID = 'conf';

/** Reported instead of a result when the gateway cannot be tested (yet). */
export class TargetSkipped extends Error {}

/**
 * The gateway must lose nothing relative to the upstream, so it is configured to trust it:
 * tools auto-approved and read-only (every agent may call them), sampling and elicitation
 * forwarded. The suite calls tools, prompts and resources by their exact upstream names
 * (test_simple_text, test://static-text, ...), so the upstream is exposed unprefixed
 * (`prefix: false`).
 */
function gatewayConfig(upstreamUrl) {
  const mcp = {
    upstreams: [
      {
        id: UPSTREAM_ID,
        transport: 'http',
        url: upstreamUrl,
        internal: true, // the upstream listens on 127.0.0.1
        prefix: false,
        autoApprove: true,
        allowUnlistedResources: true,
        allowSampling: true,
        allowElicitation: true,
        risk: [{ match: '*', class: 'read-only' }],
      },
    ],
  };
  // YAML is a superset of JSON, so the nested part needs no YAML quoting rules.
  return [
    'listen: { host: 127.0.0.1, port: 0 }',
    'dataDir: ./data',
    'catalogDir: ./agents-catalog',
    'log: { level: info, pretty: never }',
    `mcp: ${JSON.stringify(mcp)}`,
    '',
  ].join('\n');
}

const AGENT_YAML = `schemaVersion: 1
id: ${AGENT_ID}
displayName: Conformance suite
owner: warden-tests
description: The official MCP conformance suite, run through the gateway.
tools:
  allow: ["*"]
`;

async function makeWorkspace(upstreamUrl) {
  const dir = await mkdtemp(join(tmpdir(), 'warden-conformance-'));
  await mkdir(join(dir, 'agents-catalog'));
  await writeFile(join(dir, 'agents-catalog', `${AGENT_ID}.yaml`), AGENT_YAML);
  const config = join(dir, 'warden.yaml');
  await writeFile(config, gatewayConfig(upstreamUrl));
  return { dir, config, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Explains a start-up failure as "not supported yet" when the config's `mcp` section is what was refused. */
function startFailure(err) {
  const text = String(err?.message ?? err);
  if (/unknown key "mcp"|unrecognized key[^\n]*"mcp"/i.test(text)) {
    return new TargetSkipped('the gateway does not accept an `mcp` config section yet (MCP gateway not built)');
  }
  return err;
}

async function createAgentKey(cli, ws) {
  const { stdout } = await run(process.execPath, [cli, 'agents', 'keys', 'create', AGENT_ID, '--json', '--config', ws.config], { cwd: ws.dir });
  return JSON.parse(stdout).key;
}

/** A gateway without the MCP endpoint answers /mcp like any unknown route. */
async function assertServesMcp(url, key) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
  });
  await res.body?.cancel();
  if (res.status === 404 || res.status === 405) {
    throw new TargetSkipped(`the gateway does not serve MCP on /mcp yet (POST /mcp answered ${res.status})`);
  }
}

/**
 * Starts `node dist/cli/main.js start` in front of `upstreamUrl`.
 * @returns {Promise<{ url: string, stop(): Promise<void> }>} url: the auth proxy's /mcp
 */
export async function startGatewayTarget(repoDir, upstreamUrl) {
  const cli = join(repoDir, 'dist/cli/main.js');
  if (!existsSync(cli)) throw new TargetSkipped('dist/cli/main.js is missing: run `npm run build` first');
  const ws = await makeWorkspace(upstreamUrl);
  const gateway = startChild(process.execPath, [cli, 'start', '--config', ws.config], { cwd: ws.dir });
  const stopAll = [() => gateway.stop(), () => ws.cleanup()];
  const stop = async () => {
    for (const step of stopAll.splice(0)) await step();
  };
  try {
    const port = await waitForLine(gateway, (line) => {
      const log = jsonLine(line);
      return log?.msg === 'listening' && typeof log.port === 'number' ? log.port : undefined;
    }, { what: 'the gateway' }).catch((err) => {
      throw startFailure(err);
    });
    const gatewayUrl = `http://127.0.0.1:${port}/mcp`;
    const key = await createAgentKey(cli, ws);
    await assertServesMcp(gatewayUrl, key);
    const proxy = await startAuthProxy(gatewayUrl, key);
    stopAll.unshift(() => proxy.close());
    return { url: proxy.url, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

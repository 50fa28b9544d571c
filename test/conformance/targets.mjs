// The servers the conformance runner compares: the reference upstream and server-everything
// directly, and the gateway in front of each.
import { join } from 'node:path';
import { freePort, jsonLine, startChild, waitForLine, waitForPort } from './child-process.mjs';
import { startGatewayTarget } from './gateway-target.mjs';

async function startUpstream(repoDir) {
  const proc = startChild(process.execPath, [join(repoDir, 'test/conformance/upstream.mjs'), '--port', '0']);
  try {
    const url = await waitForLine(proc, (line) => jsonLine(line)?.url, { what: 'the conformance upstream' });
    return { url, stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** server-everything takes its port from PORT and cannot report an ephemeral one. */
async function startEverything(repoDir) {
  const port = await freePort();
  const entry = join(repoDir, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
  const proc = startChild(process.execPath, [entry, 'streamableHttp'], { env: { PORT: String(port) } });
  try {
    await waitForPort(port, proc, { what: 'server-everything' });
    return { url: `http://127.0.0.1:${port}/mcp`, stop: () => proc.stop() };
  } catch (err) {
    await proc.stop();
    throw err;
  }
}

/** Each gateway target starts its own upstream and stops it with the gateway. */
function behindGateway(startUpstreamTarget) {
  return async (repoDir) => {
    const upstream = await startUpstreamTarget(repoDir);
    try {
      const gateway = await startGatewayTarget(repoDir, upstream.url);
      return {
        url: gateway.url,
        async stop() {
          await gateway.stop();
          await upstream.stop();
        },
      };
    } catch (err) {
      await upstream.stop();
      throw err;
    }
  };
}

/** `baseline`: the target the gateway target must not fall behind. */
export const TARGETS = [
  { key: 'a', label: 'upstream', title: 'conformance upstream, direct', start: startUpstream },
  { key: 'b', label: 'everything', title: 'server-everything (Streamable HTTP), direct', start: startEverything },
  { key: 'c', label: 'gw->upstream', title: 'gateway /mcp in front of the conformance upstream', start: behindGateway(startUpstream), baseline: 'a' },
  { key: 'd', label: 'gw->everything', title: 'gateway /mcp in front of server-everything', start: behindGateway(startEverything), baseline: 'b' },
];

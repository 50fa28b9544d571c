// Runs every benchmark in turn (needs a build: `npm run bench` does it). Each prints its
// own table with the machine; copy the figures into docs/benchmarks.md.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
for (const script of ['audit-append.mjs', 'auth-overhead.mjs', 'idle-rss.mjs', 'key-timing.mjs', 'llm-forwarder.mjs', 'llm-call.mjs', 'mcp-call.mjs', 'openapi-import.mjs', 'openapi-call.mjs', 'tokenizer.mjs']) {
  console.log(`\n## ${script}\n`);
  const r = spawnSync(process.execPath, [here + script], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
if (spawnSync(process.execPath, [here + 'governance.mjs', '--quick'], { stdio: 'inherit' }).status !== 0) process.exit(1); // CI-sized; the full run is node bench/governance.mjs

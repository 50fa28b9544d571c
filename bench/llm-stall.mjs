// Summaries of what bench/llm-stall-preload.mjs wrote for a Warden that stopped answering:
// where its main thread spent the sampled seconds, and which code allocated the memory that
// was still live when sampling stopped.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printProfile, summarizeProfile } from './mcp-profile.mjs';

const where = (f) => {
  const url = f.url.replace(/^file:\/\//, '');
  const m = /\/dist\/(.+)\.js$/.exec(url);
  const file = m ? `src/${m[1]}.ts` : url.replace(/^.*node_modules\//, '');
  return `${f.functionName || '(anonymous)'} ${file}${url ? `:${f.lineNumber + 1}` : ''}`;
};

/** Live bytes by allocating function, largest first. */
function heapSites(profile) {
  const bytes = new Map();
  const walk = (node) => {
    if (node.selfSize > 0) {
      const k = where(node.callFrame);
      bytes.set(k, (bytes.get(k) ?? 0) + node.selfSize);
    }
    for (const c of node.children ?? []) walk(c);
  };
  walk(profile.head);
  return [...bytes].sort((a, b) => b[1] - a[1]);
}

/** Waits up to `ms` for the preload's files; false if they never came. */
export async function waitForStallFiles(dir, ms = 12_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (existsSync(join(dir, 'stall.memory.json'))) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

export function printStallDiagnosis(dir, label, top = 20) {
  const mem = JSON.parse(readFileSync(join(dir, 'stall.memory.json'), 'utf8'));
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  console.log(`\n# ${label}: memory when sampling stopped: RSS ${mb(mem.rss)} MB, heap used ${mb(mem.heapUsed)} of ${mb(mem.heapTotal)} MB, external ${mb(mem.external)} MB, array buffers ${mb(mem.arrayBuffers)} MB`);
  printProfile(summarizeProfile(join(dir, 'stall.cpuprofile')), top);
  const sites = heapSites(JSON.parse(readFileSync(join(dir, 'stall.heapprofile'), 'utf8')));
  const total = sites.reduce((s, [, b]) => s + b, 0);
  console.log(`\nLive memory allocated while sampled, by allocating function (sampling heap profiler; ${mb(total)} MB sampled):\n| function | MB | share |\n|---|--:|--:|`);
  for (const [k, b] of sites.slice(0, top)) console.log(`| ${k} | ${(b / 2 ** 20).toFixed(1)} | ${((100 * b) / total).toFixed(1)}% |`);
}

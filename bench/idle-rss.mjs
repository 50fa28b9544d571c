// Resident memory of an idle gateway with 1,000 agents in the catalog, against an empty
// catalog measured in the same run. Run: npm run build && node bench/idle-rss.mjs
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { machine, rssKiB, start, stop, workspace } from './lib.mjs';

function catalogOf(n) {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-cat-'));
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < n; i++) {
    const id = `agent-${String(i).padStart(4, '0')}`;
    writeFileSync(
      join(dir, `${id}.yaml`),
      `schemaVersion: 1\nid: ${id}\ndisplayName: Agent ${i}\nowner: team-${i % 20}\ndescription: Synthetic agent ${i} for the idle RSS benchmark.\ntags: [bench, team-${i % 20}]\nstatus: active\n`,
    );
  }
  return dir;
}

async function measure(n) {
  const cat = catalogOf(n);
  const ws = workspace({ catalog: cat });
  try {
    const gw = await start(ws);
    await new Promise((r) => setTimeout(r, 3000));
    const rss = rssKiB(gw.proc.pid);
    await stop(gw.proc);
    return rss;
  } finally {
    ws.cleanup();
    rmSync(cat, { recursive: true, force: true });
  }
}

console.log(`# idle-rss: ${machine()}`);
const empty = await measure(0);
const thousand = await measure(1000);
console.log('| catalog | RSS MiB (3 s after ready) |');
console.log('|---|---|');
console.log(`| 0 agents | ${(empty / 1024).toFixed(1)} |`);
console.log(`| 1,000 agents | ${(thousand / 1024).toFixed(1)} |`);
console.log(`| difference | ${((thousand - empty) / 1024).toFixed(1)} |`);

// What filling the audit query lookup (src/audit/lookup.ts) costs as the trail grows: records
// are appended directly (50,000 at a time, each with a random trace id, as the gateway's are),
// then the lookup is caught up in fills of B records, timed. Prints ms per fill and µs per
// record at each size. The random trace ids put almost every record on its own leaf page of
// the trace index, so the cost per record grows with the index (docs/benchmarks.md).
//   npm run build && node bench/audit-lookup-fill.mjs [--batch=512] [--rounds=12]   (about 1 to 2 minutes)
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { appendDirect, fillLookup, openAuditDb } from '../dist/audit/direct.js';
import { machine } from './lib.mjs';

const opt = (name, dflt) => Number(process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt);
const BATCH = opt('batch', 512);
const ROUNDS = opt('rounds', 12);
const dir = mkdtempSync(join(os.tmpdir(), 'warden-lookup-fill-'));
const db = openAuditDb(join(dir, 'audit.db'));
const event = (i) => ({
  time: Date.now(),
  requestId: `req-${i}`,
  traceId: randomBytes(16).toString('hex'),
  agentId: 'bench-agent',
  keyId: 'key-1',
  channel: 'llm',
  action: 'chat.completions',
  target: 'gpt-4o-mini',
  decision: 'allow',
  policy: 'forward',
  status: 200,
  latencyMs: 1,
  path: [{ policy: 'authenticate', decision: 'modify', ms: 0.02 }],
  details: { route: 'gpt-4o-mini' },
});
console.log(`# audit-lookup-fill: ${machine()}; fills of ${BATCH} records`);
console.log('\n| records | ms per fill | µs per record |\n|--:|--:|--:|');
try {
  let n = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (let b = 0; b < 50; b++) appendDirect(db, Array.from({ length: 1000 }, () => event(n++)));
    let fills = 0;
    let rows = 0;
    const t0 = performance.now();
    for (let k; (k = fillLookup(db, BATCH)) > 0; fills++) rows += k;
    const ms = performance.now() - t0;
    console.log(`| ${n.toLocaleString('en')} | ${(ms / fills).toFixed(2)} | ${((ms / rows) * 1000).toFixed(1)} |`);
  }
} finally {
  db.close();
  rmSync(dir, { recursive: true, force: true });
}

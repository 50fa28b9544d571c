// Summarizes a V8 .cpuprofile (node --cpu-prof) for bench/mcp-call.mjs: self time per function,
// grouped by where the code lives, and the Warden functions (dist/ paths shown as src/) with
// their self and inclusive time. Usable alone: node bench/mcp-profile.mjs <file.cpuprofile>
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const DIST = /\/dist\/(.+)\.js$/;

/** Where a frame's code lives: warden, a package, node itself, or V8 pseudo-frames. */
export function origin(url, functionName) {
  if (!url) return functionName === '(garbage collector)' ? 'gc' : functionName.startsWith('(') ? 'v8' : 'node';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  if (url.startsWith('node:')) return 'node';
  if (DIST.test(url)) return 'warden';
  return 'other';
}

export function summarizeProfile(path) {
  const prof = JSON.parse(readFileSync(path, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const selfUs = new Map();
  // Samples under the profiler's own preload (stopping and serializing at exit) are not the gateway's.
  const profilerOwn = (id) => {
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) if (byId.get(cur).callFrame.url.includes('mcp-cpu-prof-preload')) return true;
    return false;
  };
  for (let i = 0; i < prof.samples.length; i++) {
    if (profilerOwn(prof.samples[i])) continue;
    selfUs.set(prof.samples[i], (selfUs.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
  }

  const key = (n) => {
    const f = n.callFrame;
    const m = DIST.exec(f.url);
    const where = m ? `src/${m[1]}.ts` : f.url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '');
    return `${f.functionName || '(anonymous)'} ${where}${f.url ? `:${f.lineNumber + 1}` : ''}`;
  };
  const self = new Map();
  const incl = new Map();
  const attributed = new Map();
  const byOrigin = new Map();
  let total = 0;
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    total += us;
    const k = key(n);
    self.set(k, (self.get(k) ?? 0) + us);
    const o = origin(n.callFrame.url, n.callFrame.functionName);
    if (k !== '(idle) ') byOrigin.set(o, (byOrigin.get(o) ?? 0) + us);
    // Attributed: the sample goes to the innermost Warden function on its stack, so time in
    // node internals and packages lands on the Warden code that asked for it.
    if (k !== '(idle) ') {
      let cur = id;
      while (cur !== undefined && origin(byId.get(cur).callFrame.url, byId.get(cur).callFrame.functionName) !== 'warden') cur = parent.get(cur);
      const ak = cur === undefined ? `(no Warden frame: ${o})` : key(byId.get(cur));
      attributed.set(ak, (attributed.get(ak) ?? 0) + us);
    }
    // Inclusive: count the sample once for every distinct Warden function on its stack.
    const seen = new Set();
    for (let cur = id; cur !== undefined; cur = parent.get(cur)) {
      const a = byId.get(cur);
      if (origin(a.callFrame.url, a.callFrame.functionName) !== 'warden') continue;
      const ak = key(a);
      if (seen.has(ak)) continue;
      seen.add(ak);
      incl.set(ak, (incl.get(ak) ?? 0) + us);
    }
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  const idle = self.get('(idle) ') ?? 0;
  return {
    totalUs: total,
    busyUs: total - idle,
    byOrigin: sorted(byOrigin),
    topSelf: sorted(self).filter(([k]) => !k.startsWith('(idle)')),
    wardenSelf: sorted(self).filter(([k]) => k.includes(' src/')),
    wardenInclusive: sorted(incl),
    attributed: sorted(attributed),
  };
}

export function printProfile(s, top = 25) {
  const pct = (us) => `${((100 * us) / s.busyUs).toFixed(1)}%`;
  const ms = (us) => (us / 1000).toFixed(0);
  console.log(`\nCPU profile of the gateway main thread: ${ms(s.busyUs)} ms busy of ${ms(s.totalUs)} ms sampled`);
  console.log('\n| code | self ms | share of busy |\n|---|--:|--:|');
  for (const [o, us] of s.byOrigin) console.log(`| ${o} | ${ms(us)} | ${pct(us)} |`);
  console.log(`\nTop ${top} functions by self time (all code):\n| function | self ms | share |\n|---|--:|--:|`);
  for (const [k, us] of s.topSelf.slice(0, top)) console.log(`| ${k} | ${ms(us)} | ${pct(us)} |`);
  console.log(`\nTop ${top} Warden functions by self time:\n| function | self ms | share |\n|---|--:|--:|`);
  for (const [k, us] of s.wardenSelf.slice(0, top)) console.log(`| ${k} | ${ms(us)} | ${pct(us)} |`);
  console.log(`\nTop ${top} by innermost Warden frame (each sample charged to the innermost Warden function on its stack):\n| function | ms | share |\n|---|--:|--:|`);
  for (const [k, us] of s.attributed.slice(0, top)) console.log(`| ${k} | ${ms(us)} | ${pct(us)} |`);
  console.log(`\nTop ${top} Warden functions by inclusive time (callees of any origin counted):\n| function | incl ms | share |\n|---|--:|--:|`);
  for (const [k, us] of s.wardenInclusive.slice(0, top)) console.log(`| ${k} | ${ms(us)} | ${pct(us)} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) printProfile(summarizeProfile(process.argv[2]), Number(process.argv[3] ?? 25));

// Markdown for bench/llm-call.mjs: medians over rounds per cell, ratios against the direct
// cell of the same workload, mode and concurrency, and issue #5's targets for Warden.

const TARGETS = { addedP50Ms: 0.5, addedP99Ms: 1.5, addedTtfbMs: 1, shortCpuUs: 300, historyCpuUs: 1000, timesPortkey: 3 };
const ORDER = ['direct', 'bare-proxy', 'audited-proxy', 'checked-proxy', 'inline-proxy', 'warden', 'portkey'];

function median(values) {
  const s = values.filter((v) => v !== null && v !== undefined && !Number.isNaN(v)).sort((a, b) => a - b);
  if (s.length === 0) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Largest over smallest, minus one: how far the rounds of a cell disagree. */
function spread(values) {
  const s = values.filter((v) => v > 0);
  return s.length > 1 ? Math.max(...s) / Math.min(...s) - 1 : null;
}

const f = (x, d = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
const f0 = (x) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
const signed = (x) => (x === null ? '-' : `${x >= 0 ? '+' : ''}${x.toFixed(2)}`);
const miss = (ok) => (ok ? '' : ' **miss**');

function summarize(rows) {
  const groups = new Map();
  for (const r of rows) {
    const k = `${r.workload}|${r.mode}|${r.conns}|${r.target}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k).push(r);
  }
  const cells = new Map();
  for (const [k, rs] of groups) {
    const m = (key) => median(rs.map((r) => r[key]));
    cells.set(k, {
      workload: rs[0].workload,
      mode: rs[0].mode,
      conns: rs[0].conns,
      target: rs[0].target,
      rounds: rs.length,
      requests: median(rs.map((r) => r.requests)),
      rps: m('rps'),
      rpsSpread: spread(rs.map((r) => r.rps)),
      p50: m('p50_ms'),
      p99: m('p99_ms'),
      ttfb: m('ttfb_p50_ms'),
      cpu: m('gateway_cpu_us_per_req'),
      cpuMain: m('gateway_main_thread_cpu_us_per_req'),
      upstreamCpu: m('upstream_cpu_us_per_req'),
      loadgenCpu: m('loadgen_cpu_us_per_req'),
      other: m('other_cpu_pct'),
      bodyKb: m('body_bytes_mean') / 1024,
      errors: rs.reduce((s, r) => s + r.errors, 0),
    });
  }
  return cells;
}

export function printReport(rows, { portkey, incidents = [] }) {
  const cells = summarize(rows);
  const get = (w, mode, conns, target) => cells.get(`${w}|${mode}|${conns}|${target}`);
  const keys = [...new Set(rows.map((r) => `${r.workload}|${r.mode}`))];
  const conns = [...new Set(rows.map((r) => r.conns))].sort((a, b) => a - b);
  const rounds = Math.max(...rows.map((r) => r.round));

  console.log(`\n## LLM proxy: every cell (medians over ${rounds} round(s); "+" columns and "x direct" against the direct cell beside it)\n`);
  console.log('| workload | mode | conns | target | req/s | p50 ms | p99 ms | TTFB p50 ms | gateway CPU µs/req (main thread) | upstream CPU µs/req | +p50 ms | +p99 ms | +TTFB p50 ms | req/s x direct | errors |');
  console.log('|---|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const key of keys) {
    const [w, mode] = key.split('|');
    for (const c of conns) {
      const d = get(w, mode, c, 'direct');
      for (const t of ORDER) {
        const x = get(w, mode, c, t);
        if (!x) continue;
        const vs = d && t !== 'direct' && x.requests > 0 && d.requests > 0;
        const rps = `${f0(x.rps)}${x.rpsSpread !== null ? ` (±${(50 * x.rpsSpread).toFixed(0)}%)` : ''}`;
        console.log(
          `| ${w} (${f(x.bodyKb, 1)} KB) | ${mode} | ${c} | ${t} | ${rps} | ${f(x.p50)} | ${f(x.p99)} | ${mode === 'stream' ? f(x.ttfb) : '-'} | ${x.cpu === null ? '-' : `${f0(x.cpu)} (${f0(x.cpuMain)})`} | ${f0(x.upstreamCpu)} | ` +
            `${vs ? signed(x.p50 - d.p50) : '-'} | ${vs ? signed(x.p99 - d.p99) : '-'} | ${vs && mode === 'stream' ? signed(x.ttfb - d.ttfb) : '-'} | ${vs ? f(x.rps / d.rps) : '-'} | ${x.errors} |`,
        );
      }
    }
  }

  const lo = conns[0];
  const hi = conns[conns.length - 1];
  console.log(
    `\n## LLM proxy: Warden against issue #5's targets\n\nAdded p50 <= ${TARGETS.addedP50Ms} ms and p99 <= ${TARGETS.addedP99Ms} ms at ${lo} connection(s); gateway CPU <= ${TARGETS.shortCpuUs} µs/req (short chat) and <= ${TARGETS.historyCpuUs} µs/req (64 KB history); >= ${TARGETS.timesPortkey}x Portkey's req/s at ${hi} connections; <= ${TARGETS.addedTtfbMs} ms added to a stream's first byte. CPU targets are checked only on the workloads they name.\n`,
  );
  console.log(`| workload | mode | +p50 ms (${lo}) | +p99 ms (${lo}) | +TTFB p50 ms (${lo}) | gateway CPU µs/req (${conns.join(' / ')} conns) | req/s at ${hi}: Warden / Portkey | x Portkey |`);
  console.log('|---|---|--:|--:|--:|--:|--:|--:|');
  for (const key of keys) {
    const [w, mode] = key.split('|');
    const d1 = get(w, mode, lo, 'direct');
    const g1 = get(w, mode, lo, 'warden');
    if (!d1 || !g1) continue;
    const addP50 = g1.p50 - d1.p50;
    const addP99 = g1.p99 - d1.p99;
    const addTtfb = mode === 'stream' ? g1.ttfb - d1.ttfb : null;
    const cpuCap = w === 'short' ? TARGETS.shortCpuUs : w === 'history64' || w === 'window64' ? TARGETS.historyCpuUs : null;
    const cpus = conns.map((c) => get(w, mode, c, 'warden')?.cpu ?? null);
    const cpuText = cpus.map((v) => `${f0(v)}${cpuCap !== null && v !== null ? miss(v <= cpuCap) : ''}`).join(' / ');
    const gHi = get(w, mode, hi, 'warden');
    const pHi = get(w, mode, hi, 'portkey');
    const times = gHi && pHi ? gHi.rps / pHi.rps : null;
    console.log(
      `| ${w} | ${mode} | ${signed(addP50)}${miss(addP50 <= TARGETS.addedP50Ms)} | ${signed(addP99)}${miss(addP99 <= TARGETS.addedP99Ms)} | ${addTtfb === null ? '-' : `${signed(addTtfb)}${miss(addTtfb <= TARGETS.addedTtfbMs)}`} | ${cpuText} | ` +
        `${f0(gHi?.rps)} / ${portkey ? f0(pHi?.rps) : 'not run'} | ${times === null ? '-' : `${f(times)}x${miss(times >= TARGETS.timesPortkey)}`} |`,
    );
  }

  console.log('\n## LLM proxy: the machine meanwhile\n');
  console.log('| target | cells | other processes\' CPU, % of all cores (min / median / max) | load generator CPU µs/req (median) |');
  console.log('|---|--:|--:|--:|');
  for (const t of ORDER) {
    const mine = [...cells.values()].filter((x) => x.target === t);
    if (mine.length === 0) continue;
    const other = mine.map((x) => x.other).filter((v) => v !== null);
    console.log(`| ${t} | ${mine.length} | ${f(Math.min(...other), 1)} / ${f(median(other), 1)} / ${f(Math.max(...other), 1)} | ${f0(median(mine.map((x) => x.loadgenCpu)))} |`);
  }

  if (incidents.length > 0) {
    console.log('\n## LLM proxy: targets that failed during the run (each was restarted and warmed up again)\n');
    console.log('| round | workload | mode | conns | target | what happened |\n|--:|---|---|--:|---|---|');
    for (const x of incidents) console.log(`| ${x.round} | ${x.workload} | ${x.mode} | ${x.conns} | ${x.target} | ${x.what.replace(/\|/g, '/')} |`);
  }
}

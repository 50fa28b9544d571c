// Governance (issue #6): what the whole policy chain costs per request with every policy on,
// and how fast one agent's budget admits requests when many are in flight at once.
// In-process, on the built code (dist/): the real PolicyChain and policies (buildPolicies)
// over real dependencies (bench/governance-world.mjs), LLM chat requests with the agent's key
// as the credential, a no-op forward step that reports usage.
//
//   1. Chain cost: µs per request (wall, process CPU, main-thread CPU) and per-request p50/p99,
//      for 1 agent and 1,000 agents (round-robin), every policy on vs authentication and
//      authorization only, with a no-op audit sink (the chain alone) and with the gateway's
//      audit sink (worker-thread writer, audit.db at the default durability).
//   2. Admission under contention: one agent, one budget, 64 requests in flight (the forward
//      step answers after a setImmediate); admissions per second with room to spare, then with
//      a budget that runs out mid-run, checking at every admission that spent + reserved stays
//      within the limit; and the raw BudgetLedger admit+settle rate on one budget.
//
// Run: npm run build && node bench/governance.mjs [--duration 3] [--quick]
//   --duration: seconds measured per cell (default 3); --quick: 0.5 s cells and short
//   warm-ups (CI-sized, about 20 s; figures only indicative).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { budgetSpecs } from '../dist/budget/budget-specs.js';
import { BudgetLedger } from '../dist/budget/ledger.js';
import { AUTH_ONLY, CONTENDER, USAGE, agentId, createWorld, noopSink, primeLoopHistories, requestFactory } from './governance-world.mjs';
import { machine, percentile } from './lib.mjs';

const args = process.argv.slice(2);
const opt = (name) => {
  const i = args.findIndex((a) => a === `--${name}` || a.startsWith(`--${name}=`));
  if (i < 0) return undefined;
  return args[i].includes('=') ? args[i].slice(name.length + 3) : args[i + 1];
};
const QUICK = args.includes('--quick');
const SECONDS = Number(opt('duration') ?? (QUICK ? 0.5 : 3));
const WARMUP_SECONDS = QUICK ? 0.1 : Math.min(1, SECONDS / 3);
const AGENTS = 1000;
const CONTENTION_IN_FLIGHT = 64;
if (!(SECONDS > 0)) throw new Error('--duration must be a positive number of seconds');

const TICK_US = 1e6 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
/** CPU of this process's main thread (JavaScript; not the audit writer or GC helper threads), µs; Linux only. */
function mainThreadCpuUs() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) * TICK_US;
  } catch {
    return NaN;
  }
}
const processCpuUs = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

const ANSWER = { status: 200, body: null, usage: USAGE };
const forwardNow = async () => ANSWER;
const forwardNextTick = () => new Promise((resolve) => setImmediate(resolve, ANSWER));

/**
 * Runs requests from `next()` through `chain` for `seconds` of measured time, `inFlight` at
 * once. Requests are made in chunks outside the measured time (the HTTP surface's share);
 * chunks are sized to about half a second so the main thread's CPU (read in 10 ms ticks)
 * is measured over long spans. `onResult(result, measuredMs)` sees every outcome, with the
 * measured time so far.
 */
async function drive(chain, next, { seconds, inFlight, forward, onResult }) {
  const latMs = [];
  let wallMs = 0;
  let cpuUs = 0;
  let mainUs = 0;
  let size = 512;
  while (wallMs < seconds * 1000) {
    const jobs = Array.from({ length: size }, next);
    const c0 = processCpuUs();
    const m0 = mainThreadCpuUs();
    const t0 = performance.now();
    let i = 0;
    const worker = async () => {
      while (i < jobs.length) {
        const job = jobs[i++];
        const ctx = job.ctx();
        const s = performance.now();
        const r = await chain.run(ctx, forward, job.loadPayload);
        const e = performance.now();
        latMs.push(e - s);
        onResult(r, wallMs + (e - t0));
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    const spent = performance.now() - t0;
    wallMs += spent;
    cpuUs += processCpuUs() - c0;
    mainUs += mainThreadCpuUs() - m0;
    size = Math.max(256, Math.min(32_768, Math.round((jobs.length / spent) * 500)));
  }
  latMs.sort((a, b) => a - b);
  const n = latMs.length;
  return { n, wallMs, perSecond: n / (wallMs / 1000), wallUs: (wallMs * 1000) / n, cpuUs: cpuUs / n, mainCpuUs: mainUs / n, p50Us: percentile(latMs, 50) * 1000, p99Us: percentile(latMs, 99) * 1000 };
}

/** Every request must pass: a refusal here would measure the refusal path, not governance. */
function mustPass(r) {
  if (!r.ok) throw new Error(`request refused: ${r.error.code}: ${r.error.message}`);
}

const roundRobin = (make, ids) => {
  let k = 0;
  return () => make(ids[k++ % ids.length]);
};

// ---------------------------------------------------------------- part 1: chain cost

async function chainCost(world, make) {
  const ids = Array.from({ length: AGENTS }, (_, i) => agentId(i));
  const sinks = [
    { name: 'no-op', sink: noopSink(), inFlight: [1] },
    { name: 'gateway (audit.db)', sink: await world.realSink(), inFlight: [1, 16] },
  ];
  const chains = sinks.map((s) => ({ ...s, auth: world.chain(s.sink, AUTH_ONLY), full: world.chain(s.sink) }));
  // V8 tiers the request path up over the first tens of thousands of calls: warm every chain first.
  for (const c of chains) {
    for (const chain of [c.auth, c.full]) await drive(chain, roundRobin(make, ids), { seconds: WARMUP_SECONDS * 2, inFlight: 1, forward: forwardNow, onResult: mustPass });
  }
  const rows = [];
  for (const c of chains) {
    for (const inFlight of c.inFlight) {
      for (const agents of [1, AGENTS]) {
        for (const policies of ['auth', 'full']) {
          const chain = c[policies];
          const next = roundRobin(make, ids.slice(0, agents));
          await drive(chain, next, { seconds: WARMUP_SECONDS, inFlight, forward: forwardNow, onResult: mustPass });
          const r = await drive(chain, next, { seconds: SECONDS, inFlight, forward: forwardNow, onResult: mustPass });
          rows.push({ part: 'chain', policies: policies === 'full' ? 'every policy' : 'authn + authz', agents, sink: c.name, inFlight, ...r });
        }
      }
    }
  }
  return rows;
}

// ---------------------------------------------------------------- part 2: admission under contention

/**
 * 64 requests in flight on one agent's one budget. At every admission (the forward step runs
 * right after the budget policy admitted), the budget's spent + reserved is read from the
 * ledger: it must never be above the limit.
 */
async function contention(world, make, { agent, sink, seconds, limit }) {
  const chain = world.chain(sink);
  const spec = budgetSpecs(world.catalog.agents.get(agent), 'llm')[0];
  let admitted = 0;
  let refused = 0;
  let firstRefusalMs = null;
  let admittedBeforeRefusal = null;
  let peak = 0;
  let over = 0;
  const forward = () => {
    const s = world.ledger.status(spec);
    const used = s.spent.tokens + s.reserved.tokens;
    if (used > peak) peak = used;
    if (used > limit) over++;
    return forwardNextTick();
  };
  const onResult = (r, measuredMs) => {
    if (r.ok) admitted++;
    else if (r.error.code === 'BUDGET_EXCEEDED') {
      refused++;
      if (firstRefusalMs === null) {
        firstRefusalMs = measuredMs;
        admittedBeforeRefusal = admitted;
      }
    } else throw new Error(`unexpected refusal: ${r.error.code}: ${r.error.message}`);
  };
  const r = await drive(chain, () => make(agent), { seconds, inFlight: CONTENTION_IN_FLIGHT, forward, onResult });
  const end = world.ledger.status(spec);
  return { admitted, refused, firstRefusalMs, admittedBeforeRefusal, peak, over, spent: end.spent.tokens, reservedAtEnd: end.reserved.tokens, ...r };
}

async function admissionUnderContention(world, make) {
  const rows = [];
  await contention(world, make, { agent: CONTENDER, sink: noopSink(), seconds: WARMUP_SECONDS, limit: Infinity });
  for (const [name, sink] of [
    ['no-op', noopSink()],
    ['gateway (audit.db)', await world.realSink()],
  ]) {
    const r = await contention(world, make, { agent: CONTENDER, sink, seconds: SECONDS, limit: Infinity });
    rows.push({ part: 'contention', case: 'room to spare', sink: name, inFlight: CONTENTION_IN_FLIGHT, limit: null, ...r, admittedPerSecond: r.admitted / (r.wallMs / 1000) });
  }
  // A budget that runs out about half-way through the run, at the rate just measured.
  const rate = rows[0].admittedPerSecond;
  const limit = Math.max(10_000, Math.round(rate * SECONDS * 0.5 * (USAGE.tokensIn + USAGE.tokensOut)));
  const agent = await world.addBudgetedAgent('exhausted', limit);
  const r = await contention(world, make, { agent, sink: noopSink(), seconds: SECONDS, limit });
  world.budgets.flush();
  const saved = world.state.listBudgetSpend(0, `agent:${agent}|`).reduce((sum, row) => sum + row.tokens, 0);
  const beforeMs = r.firstRefusalMs ?? r.wallMs;
  rows.push({
    part: 'contention',
    case: 'budget runs out mid-run',
    sink: 'no-op',
    inFlight: CONTENTION_IN_FLIGHT,
    limit,
    savedSpend: saved,
    ...r,
    // Until the first refusal; reservations settling below their worst case let a few more in after it.
    admittedPerSecond: (r.admittedBeforeRefusal ?? r.admitted) / (beforeMs / 1000),
    refusedPerSecond: r.refused > 0 ? r.refused / ((r.wallMs - beforeMs) / 1000) : 0,
  });
  return rows;
}

/** BudgetLedger.admit + settle on one budget in a tight loop, for orientation. */
function rawLedger() {
  const rows = [];
  const cost = { tokens: 600, usd: 0.0002, calls: 1 };
  const actual = { tokens: USAGE.tokensIn + USAGE.tokensOut, usd: USAGE.costUsd, calls: 1 };
  for (const [window, kind] of [
    ['day', 'calendar'],
    ['hour', 'rolling'],
  ]) {
    const ledger = new BudgetLedger({ timezone: 'UTC' });
    const specs = [{ key: `agent:raw|llm|${window}|${kind}`, name: 'raw', scope: 'agent', window, kind, limits: { tokens: 1e15, usd: 1e12, calls: 1e12 }, softThresholds: [50, 80, 95], action: 'deny' }];
    const loop = (seconds) => {
      let n = 0;
      const c0 = processCpuUs();
      const t0 = performance.now();
      let t = t0;
      while (t - t0 < seconds * 1000) {
        for (let k = 0; k < 1024; k++) {
          const r = ledger.admit(specs, cost);
          if (!r.ok) throw new Error('raw ledger refused');
          ledger.settle(r.held, actual);
        }
        n += 1024;
        t = performance.now();
      }
      return { n, ms: t - t0, cpuUs: processCpuUs() - c0 };
    };
    loop(WARMUP_SECONDS);
    const { n, ms, cpuUs } = loop(SECONDS);
    rows.push({ part: 'ledger', budget: `${kind} ${window}`, n, perSecond: n / (ms / 1000), nsPerOp: (ms * 1e6) / n, cpuNsPerOp: (cpuUs * 1000) / n });
  }
  return rows;
}

// ---------------------------------------------------------------- report

const f0 = (x) => Math.round(x).toLocaleString('en-US');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '-');

function printChain(rows) {
  console.log('\n### Chain cost per request (LLM chat requests, no-op forward)\n');
  console.log('| audit sink | in flight | agents | policies | requests | wall µs/req | process CPU µs/req | main-thread CPU µs/req | p50 µs | p99 µs |');
  console.log('|---|--:|--:|---|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    console.log(`| ${r.sink} | ${r.inFlight} | ${f0(r.agents)} | ${r.policies} | ${f0(r.n)} | ${f1(r.wallUs)} | ${f1(r.cpuUs)} | ${f1(r.mainCpuUs)} | ${f1(r.p50Us)} | ${f1(r.p99Us)} |`);
  }
  console.log('\nWhat the governance policies add (every policy minus authn + authz, same sink, in flight and agents):\n');
  console.log('| audit sink | in flight | agents | wall µs/req | process CPU µs/req | p50 µs |');
  console.log('|---|--:|--:|--:|--:|--:|');
  for (const full of rows.filter((r) => r.policies === 'every policy')) {
    const auth = rows.find((r) => r.policies !== full.policies && r.sink === full.sink && r.inFlight === full.inFlight && r.agents === full.agents);
    console.log(`| ${full.sink} | ${full.inFlight} | ${f0(full.agents)} | +${f1(full.wallUs - auth.wallUs)} | +${f1(full.cpuUs - auth.cpuUs)} | +${f1(full.p50Us - auth.p50Us)} |`);
  }
}

function printContention(rows, ledgerRows) {
  console.log(`\n### Admission under contention (one agent, one token budget, ${CONTENTION_IN_FLIGHT} in flight, forward answers after setImmediate)\n`);
  console.log('| case | audit sink | admitted | refused | admitted/s | refused/s | process CPU µs/req | limit (tokens) | peak spent + reserved | spent at end | over the limit |');
  console.log('|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of rows) {
    const limit = r.limit === null ? '-' : f0(r.limit);
    console.log(`| ${r.case} | ${r.sink} | ${f0(r.admitted)} | ${f0(r.refused)} | ${f0(r.admittedPerSecond)} | ${r.refused ? f0(r.refusedPerSecond) : '-'} | ${f1(r.cpuUs)} | ${limit} | ${f0(r.peak)} | ${f0(r.spent)}${r.savedSpend !== undefined ? ` (state.db ${f0(r.savedSpend)})` : ''} | ${r.over === 0 ? 'never' : `${r.over} times`} |`);
  }
  console.log('\nRaw BudgetLedger.admit + settle, one budget, tight loop:\n');
  console.log('| budget | ops/s | wall ns per admit + settle | CPU ns per admit + settle |');
  console.log('|---|--:|--:|--:|');
  for (const r of ledgerRows) console.log(`| ${r.budget} | ${f0(r.perSecond)} | ${f0(r.nsPerOp)} | ${f0(r.cpuNsPerOp)} |`);
}

async function main() {
  console.log(`# governance: ${machine()}`);
  console.log(`# command: node bench/governance.mjs ${args.join(' ')} (${SECONDS} s measured per cell, ${WARMUP_SECONDS.toFixed(2)} s warm-up per cell; load average ${os1()})`);
  const world = await createWorld({ agents: AGENTS, contenderTokens: 1e15 });
  try {
    // Histories as if each agent had been calling for a while (see primeLoopHistories).
    primeLoopHistories(world, [agentId(0)], 6000);
    primeLoopHistories(world, Array.from({ length: AGENTS - 1 }, (_, i) => agentId(i + 1)), 10);
    const make = requestFactory(world);
    const chainRows = await chainCost(world, make);
    printChain(chainRows);
    const contentionRows = await admissionUnderContention(world, make);
    const ledgerRows = rawLedger();
    printContention(contentionRows, ledgerRows);
    const { budget, loopTrips, suspensions } = world.alerts;
    console.log(`\nAlerts during the run: ${budget} budget alert(s), ${loopTrips} loop trip(s), ${suspensions} suspension(s).`);
    console.log('\nJSON lines:');
    for (const r of [...chainRows, ...contentionRows, ...ledgerRows]) console.log(JSON.stringify(roundAll(r)));
    const bad = contentionRows.find((r) => r.over > 0);
    if (loopTrips > 0 || bad) {
      console.error(bad ? 'FAIL: a budget went over its limit' : 'FAIL: loop detection tripped; the figures include the refusal path');
      process.exitCode = 1;
    }
  } finally {
    await world.close();
  }
}

function os1() {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

function roundAll(r) {
  const out = {};
  for (const [k, v] of Object.entries(r)) out[k] = typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 100) / 100 : v;
  return out;
}

await main();

#!/usr/bin/env node
// Runs the official MCP conformance suite (@modelcontextprotocol/conformance 0.1.16, server
// scenarios) against each target and compares them:
//   (a) the conformance upstream (test/conformance/upstream.mjs), directly
//   (b) server-everything over Streamable HTTP, directly
//   (c) the gateway's /mcp in front of (a)      (d) the gateway's /mcp in front of (b)
// A gateway target must lose no scenario and no check relative to the upstream it fronts.
//
// Usage: node scripts/conformance.mjs [--targets a,b,c,d] [--suite active|all] [--scenario NAME]
//                                      [--json FILE] [--keep-results]
// Exit status 1 when (a) fails a scenario, a gateway target loses anything, or a target
// cannot be started for another reason than the gateway not supporting MCP yet.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { TargetSkipped } from '../test/conformance/gateway-target.mjs';
import { compare, comparisonTable, countsLine } from '../test/conformance/report.mjs';
import { SUITE_PACKAGE, runSuite, totals } from '../test/conformance/run-suite.mjs';
import { TARGETS } from '../test/conformance/targets.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

const { values: opts } = parseArgs({
  options: {
    targets: { type: 'string', default: 'a,b,c,d' },
    suite: { type: 'string', default: 'active' },
    scenario: { type: 'string' },
    json: { type: 'string' },
    'keep-results': { type: 'boolean', default: false },
  },
});

const wanted = opts.targets.split(',').map((k) => k.trim());
const unknown = wanted.filter((k) => !TARGETS.some((t) => t.key === k));
if (unknown.length > 0) {
  console.error(`unknown target(s): ${unknown.join(', ')} (known: ${TARGETS.map((t) => t.key).join(', ')})`);
  process.exit(2);
}

async function runTarget(target, workDir) {
  let running;
  try {
    running = await target.start(REPO);
  } catch (err) {
    if (err instanceof TargetSkipped) return { target, skipped: err.message };
    return { target, error: `could not start: ${err?.stack ?? err}` };
  }
  try {
    const result = await runSuite(running.url, { suite: opts.suite, scenario: opts.scenario, workDir });
    return { target, url: running.url, result };
  } catch (err) {
    return { target, error: `suite run failed: ${err?.message ?? err}` };
  } finally {
    await running.stop();
  }
}

function printOutcome(o) {
  console.log(`(${o.target.key}) ${o.target.title}`);
  if (o.skipped) return console.log(`    skipped: ${o.skipped}`);
  if (o.error) return console.log(`    ERROR: ${o.error}`);
  console.log(`    ${o.url}`);
  console.log(`    ${countsLine(o.result.scenarios)}`);
  for (const s of o.result.scenarios.filter((x) => !x.passed)) console.log(`    failed ${s.name}: ${s.failures.join('; ')}`);
}

const workDir = await mkdtemp(join(tmpdir(), 'warden-conformance-results-'));
console.log(`MCP conformance: ${SUITE_PACKAGE}, ${opts.scenario ? `scenario ${opts.scenario}` : `${opts.suite} suite`}\n`);
const outcomes = [];
for (const target of TARGETS.filter((t) => wanted.includes(t.key))) {
  const outcome = await runTarget(target, workDir);
  outcomes.push(outcome);
  printOutcome(outcome);
}

const problems = [];
for (const o of outcomes) {
  if (o.error) problems.push(`(${o.target.key}) ${o.error.split('\n')[0]}`);
  if (o.target.key === 'a' && o.result && totals(o.result.scenarios).scenariosFailed > 0) problems.push('(a) the conformance upstream fails scenarios');
  const base = outcomes.find((b) => b.target.key === o.target.baseline);
  if (!o.result || !o.target.baseline) continue;
  if (!base?.result) {
    console.log(`\n(${o.target.key}) not compared: its baseline (${o.target.baseline}) did not run`);
    continue;
  }
  const { lost, notes } = compare(o.result, base.result);
  console.log(`\n(${o.target.key}) vs (${base.target.key}): ${lost.length === 0 ? 'nothing lost' : `${lost.length} regression(s)`}`);
  for (const l of lost) console.log(`    ${l}`);
  for (const n of notes) console.log(`    note: ${n}`);
  if (lost.length > 0) problems.push(`(${o.target.key}) loses ${lost.length} scenario(s)/check(s) against (${base.target.key})`);
}
const failed = problems.length > 0;

console.log(`\n${comparisonTable(outcomes)}\n`);
console.log(failed ? `FAILED:\n  ${problems.join('\n  ')}` : 'OK');

if (opts.json) {
  const summary = outcomes.map((o) => ({
    target: o.target.key,
    title: o.target.title,
    skipped: o.skipped,
    error: o.error,
    totals: o.result ? totals(o.result.scenarios) : undefined,
    scenarios: o.result?.scenarios,
  }));
  await writeFile(opts.json, `${JSON.stringify({ suite: SUITE_PACKAGE, outcomes: summary, problems }, null, 2)}\n`);
}
if (opts['keep-results']) console.log(`results kept in ${workDir}`);
else await rm(workDir, { recursive: true, force: true });
process.exit(failed ? 1 : 0);

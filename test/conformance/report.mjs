// Text output of the conformance runner: counts per target, a scenario-by-target table, and
// what a gateway target lost relative to the upstream it fronts.
import { totals } from './run-suite.mjs';

export function countsLine(scenarios) {
  const t = totals(scenarios);
  return (
    `scenarios ${t.scenariosPassed}/${scenarios.length} passed, ${t.scenariosFailed} failed; ` +
    `checks ${t.checksPassed} passed, ${t.checksFailed} failed, ${t.warnings} warnings`
  );
}

/**
 * Scenarios or checks the gateway target lost relative to its baseline. Passing more than
 * the baseline is not a loss; a scenario the baseline never ran is not compared.
 */
export function regressions(result, baseline) {
  const lost = [];
  const before = new Map(baseline.scenarios.map((s) => [s.name, s]));
  for (const s of result.scenarios) {
    const b = before.get(s.name);
    if (!b) continue;
    if (b.passed && !s.passed) lost.push(`${s.name}: failed (passes directly): ${s.failures.join('; ')}`);
    else if (s.checks.success < b.checks.success) lost.push(`${s.name}: ${s.checks.success} checks passed, ${b.checks.success} directly`);
  }
  for (const name of before.keys()) {
    if (!result.scenarios.some((s) => s.name === name)) lost.push(`${name}: not run`);
  }
  return lost;
}

function cell(scenario) {
  if (!scenario) return '-';
  const { success, failure, warning } = scenario.checks;
  return `${scenario.passed ? 'ok' : 'FAIL'} ${success}/${success + failure}${warning ? ` w${warning}` : ''}`;
}

function pad(text, width) {
  return text + ' '.repeat(Math.max(0, width - text.length));
}

/** @param {Array<{ target: { key: string, label: string }, result?: { scenarios: any[] }, skipped?: string, error?: string }>} outcomes */
export function comparisonTable(outcomes) {
  const names = [];
  for (const o of outcomes) for (const s of o.result?.scenarios ?? []) if (!names.includes(s.name)) names.push(s.name);
  const header = ['scenario', ...outcomes.map((o) => `(${o.target.key}) ${o.target.label}`)];
  const rows = names.map((name) => [name, ...outcomes.map((o) => (o.result ? cell(o.result.scenarios.find((s) => s.name === name)) : ''))]);
  const sums = outcomes.map((o) => (o.result ? totals(o.result.scenarios) : undefined));
  rows.push(['scenarios passed', ...outcomes.map((o, i) => (sums[i] ? `${sums[i].scenariosPassed}/${o.result.scenarios.length}` : o.skipped ? 'skipped' : 'error'))]);
  rows.push(['checks passed', ...sums.map((t) => (t ? `${t.checksPassed}/${t.checksPassed + t.checksFailed}` : ''))]);
  rows.push(['warnings', ...sums.map((t) => (t ? String(t.warnings) : ''))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => pad(c, widths[i])).join(' | ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('-+-');
  return [line(header), rule, ...rows.slice(0, -3).map(line), rule, ...rows.slice(-3).map(line)].join('\n');
}

// Runs the official MCP conformance suite (server mode) against one URL and reads its
// results back from the per-scenario checks.json files it writes.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const SUITE_PACKAGE = '@modelcontextprotocol/conformance@0.1.16';

/** The suite's CLI needs Node 22; npx fetches it from the npm registry like the suite itself. */
function suiteCommand(url, { suite, scenario, outDir }) {
  const args = ['-y', '-p', 'node@22', '-p', SUITE_PACKAGE, '--', 'conformance', 'server', '--url', url, '-o', outDir];
  if (scenario) args.push('--scenario', scenario);
  else args.push('--suite', suite);
  return { command: process.platform === 'win32' ? 'npx.cmd' : 'npx', args };
}

function runProcess(command, args, { cwd, timeoutMs }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd,
      env: { ...process.env, npm_config_loglevel: 'error', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Counts a scenario's checks the way the suite does: INFO entries are a trace, not checks. */
export function countChecks(checks) {
  const count = (status) => checks.filter((c) => c.status === status).length;
  return { success: count('SUCCESS'), failure: count('FAILURE'), warning: count('WARNING') };
}

/**
 * Pairs each "=== Running scenario: X ===" line with the "Results saved to DIR" line after
 * it. A scenario that crashed before saving has no directory; the suite counts it failed.
 */
export function scenarioDirs(stdout) {
  const found = [];
  let current;
  for (const line of stdout.split('\n')) {
    const started = /^=== Running scenario: (\S+) ===$/.exec(line.trim());
    if (started) {
      current = { name: started[1], dir: undefined };
      found.push(current);
      continue;
    }
    const saved = /^Results saved to (.+)$/.exec(line.trim());
    if (saved && current) current.dir = saved[1];
  }
  return found;
}

async function singleScenarioDir(outDir, scenario) {
  const dirs = (await readdir(outDir)).filter((d) => d.startsWith(`server-${scenario}-`));
  return dirs.length === 1 ? join(outDir, dirs[0]) : undefined;
}

/**
 * @returns {Promise<{ scenarios: Array<{ name: string, passed: boolean, checks: { success: number, failure: number, warning: number }, failures: string[] }>, exitCode: number | null, log: string }>}
 */
export async function runSuite(url, { suite = 'active', scenario, workDir, timeoutMs = 600_000 } = {}) {
  const outDir = await mkdtemp(join(workDir, 'results-'));
  const { command, args } = suiteCommand(url, { suite, scenario, outDir });
  const run = await runProcess(command, args, { cwd: workDir, timeoutMs });
  const listed = scenario ? [{ name: scenario, dir: await singleScenarioDir(outDir, scenario) }] : scenarioDirs(run.stdout);
  if (listed.length === 0) {
    throw new Error(`the conformance suite ran no scenario (exit ${run.code ?? run.signal}):\n${run.stderr || run.stdout}`.trim());
  }
  const scenarios = [];
  for (const { name, dir } of listed) {
    const checks = dir ? JSON.parse(await readFile(join(dir, 'checks.json'), 'utf8')) : [];
    const counts = dir ? countChecks(checks) : { success: 0, failure: 1, warning: 0 };
    const failures = checks.filter((c) => c.status === 'FAILURE').map((c) => `${c.id}: ${c.errorMessage ?? c.description}`);
    if (!dir) failures.push('the scenario did not run to completion (no results saved)');
    const statuses = Object.fromEntries(checks.filter((c) => c.status !== 'INFO' || c.id).map((c) => [c.id, c.status]));
    scenarios.push({ name, passed: counts.failure === 0, checks: counts, failures, statuses });
  }
  return { scenarios, exitCode: run.code, log: `${run.stdout}\n${run.stderr}` };
}

export function totals(scenarios) {
  const sum = (f) => scenarios.reduce((n, s) => n + f(s), 0);
  return {
    scenariosPassed: sum((s) => (s.passed ? 1 : 0)),
    scenariosFailed: sum((s) => (s.passed ? 0 : 1)),
    checksPassed: sum((s) => s.checks.success),
    checksFailed: sum((s) => s.checks.failure),
    warnings: sum((s) => s.checks.warning),
  };
}

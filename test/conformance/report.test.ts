import { expect, it } from 'vitest';
import { regressions } from './report.mjs';
import { countChecks, scenarioDirs, type ScenarioResult } from './run-suite.mjs';

const scenario = (name: string, success: number, failure = 0): ScenarioResult => ({
  name,
  passed: failure === 0,
  checks: { success, failure, warning: 0 },
  failures: failure ? ['x: broken'] : [],
});

it('reports a scenario or check the gateway lost, and nothing it gained', () => {
  const direct = { scenarios: [scenario('ping', 1), scenario('enums', 5), scenario('audio', 0, 1), scenario('dns', 2)] };
  const gateway = { scenarios: [scenario('ping', 0, 1), scenario('enums', 4), scenario('audio', 1)] };
  expect(regressions(gateway, direct)).toEqual([
    'ping: failed (passes directly): x: broken',
    'enums: 4 checks passed, 5 directly',
    'dns: not run',
  ]);
  expect(regressions(direct, direct)).toEqual([]);
});

it('pairs each scenario with its results folder, leaving a crashed one without', () => {
  const stdout = [
    '=== Running scenario: ping ===',
    "Running client scenario 'ping' against server: http://x/mcp",
    'Results saved to /r/server-ping-1',
    '=== Running scenario: tools-list ===',
    'Failed to run scenario tools-list: boom',
  ].join('\n');
  expect(scenarioDirs(stdout)).toEqual([
    { name: 'ping', dir: '/r/server-ping-1' },
    { name: 'tools-list', dir: undefined },
  ]);
});

it('counts SUCCESS, FAILURE and WARNING checks and ignores INFO trace entries', () => {
  const statuses = ['SUCCESS', 'INFO', 'FAILURE', 'WARNING', 'SUCCESS', 'INFO'];
  expect(countChecks(statuses.map((status) => ({ status })))).toEqual({ success: 2, failure: 1, warning: 1 });
});

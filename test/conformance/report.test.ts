import { expect, it } from 'vitest';
import { compare, regressions } from './report.mjs';
import { countChecks, scenarioDirs, type ScenarioResult } from './run-suite.mjs';

const scenario = (name: string, success: number, failure = 0): ScenarioResult => ({
  name,
  passed: failure === 0,
  checks: { success, failure, warning: 0 },
  failures: failure ? ['x: broken'] : [],
  statuses: Object.fromEntries([
    ...Array.from({ length: success }, (_, i) => [`c${i}`, 'SUCCESS']),
    ...Array.from({ length: failure }, (_, i) => [`c${success + i}`, 'FAILURE']),
  ]),
});

it('reports a scenario or check the gateway lost, and nothing it gained', () => {
  const direct = { scenarios: [scenario('ping', 1), scenario('enums', 5), scenario('audio', 0, 1), scenario('dns', 2)] };
  const gateway = { scenarios: [scenario('ping', 0, 1), scenario('enums', 4), scenario('audio', 1)] };
  expect(regressions(gateway, direct)).toEqual([
    'ping: failed (passes directly): x: broken',
    'enums: check c4 missing (SUCCESS directly)',
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

it('counts a check that is only INFO through the gateway as a note, not a loss', () => {
  const direct = { scenarios: [{ ...scenario('streams', 2), statuses: { a: 'SUCCESS', b: 'SUCCESS' } }] };
  const gateway = { scenarios: [{ ...scenario('streams', 1), statuses: { a: 'SUCCESS', b: 'INFO' } }] };
  const r = compare(gateway, direct);
  expect(r.lost).toEqual([]);
  expect(r.notes[0]).toMatch(/check b is INFO/);
});

it('treats a listed spec correction as a note only when the gateway fails exactly as the specification requires', () => {
  const direct = { scenarios: [scenario('tools-call-error', 1)] };
  const corrected = { scenarios: [{ ...scenario('tools-call-error', 0, 1), failures: ['x: MCP error -32602: Unknown tool: test_error_handling'] }] };
  expect(compare(corrected, direct)).toMatchObject({ lost: [], notes: [expect.stringMatching(/spec correction/)] });
  const otherFailure = { scenarios: [{ ...scenario('tools-call-error', 0, 1), failures: ['x: MCP error -32603: boom'] }] };
  expect(compare(otherFailure, direct).lost).toHaveLength(1);
});

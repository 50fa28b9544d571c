import type { ScenarioResult } from './run-suite.mjs';
export declare function countsLine(scenarios: ScenarioResult[]): string;
export declare function regressions(result: { scenarios: ScenarioResult[] }, baseline: { scenarios: ScenarioResult[] }): string[];
export declare function compare(result: { scenarios: ScenarioResult[] }, baseline: { scenarios: ScenarioResult[] }): { lost: string[]; notes: string[] };
export declare const SPEC_CORRECTIONS: Array<{ scenario: string; failure: RegExp; why: string }>;
export declare function comparisonTable(
  outcomes: Array<{ target: { key: string; label: string }; result?: { scenarios: ScenarioResult[] }; skipped?: string; error?: string }>,
): string;

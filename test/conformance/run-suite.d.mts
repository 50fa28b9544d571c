export interface CheckCounts {
  success: number;
  failure: number;
  warning: number;
}
export interface ScenarioResult {
  name: string;
  passed: boolean;
  checks: CheckCounts;
  failures: string[];
  /** Status of each check by id (SUCCESS, FAILURE, WARNING, INFO). */
  statuses?: Record<string, string>;
}
export interface SuiteResult {
  scenarios: ScenarioResult[];
  exitCode: number | null;
  log: string;
}
export declare const SUITE_PACKAGE: string;
export declare function countChecks(checks: Array<{ status: string }>): CheckCounts;
export declare function scenarioDirs(stdout: string): Array<{ name: string; dir: string | undefined }>;
export declare function runSuite(
  url: string,
  opts?: { suite?: string; scenario?: string; workDir: string; timeoutMs?: number },
): Promise<SuiteResult>;
export declare function totals(scenarios: ScenarioResult[]): {
  scenariosPassed: number;
  scenariosFailed: number;
  checksPassed: number;
  checksFailed: number;
  warnings: number;
};

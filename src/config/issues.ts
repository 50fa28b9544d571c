import type { z } from 'zod';

/** One problem in one configuration or catalog file: where it is and why it is wrong. */
export interface ConfigIssue {
  file: string;
  path: string;
  message: string;
}

/** Startup / CLI error carrying every issue found; maps to an exit code, never to the wire. */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];
  constructor(what: string, issues: ConfigIssue[]) {
    super(`${what}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Renders a zod/JSON path the way editors show it: `budgets[0].limit`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

export function issuesFromZod(file: string, error: z.ZodError): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  for (const issue of error.issues) {
    if (issue.code === 'unrecognized_keys') {
      // One issue per unknown key, so each typo is named with its own path.
      for (const key of issue.keys) out.push({ file, path: formatPath([...issue.path, key]), message: `unknown key "${key}"` });
    } else if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      out.push({ file, path: formatPath(issue.path), message: `required (${issue.expected} missing)` });
    } else if (issue.code === 'invalid_key' && issue.issues[0]) {
      // zod says "Invalid key in record"; the key's own rule says what is wrong with it.
      out.push({ file, path: formatPath(issue.path), message: `key ${issue.issues[0].message}` });
    } else {
      out.push({ file, path: formatPath(issue.path), message: issue.message });
    }
  }
  return out;
}

export function formatIssues(issues: ConfigIssue[]): string {
  return issues.map((i) => `  ${i.file}: ${i.path}: ${i.message}`).join('\n');
}

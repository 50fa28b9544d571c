/** Helpers for tests that need agent catalog files on disk. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { AgentSpecInput } from '../../src/catalog/index.js';

/**
 * A valid agent spec with only the required fields (schemaVersion, id, displayName, owner).
 * `overrides` are shallow-merged on top, so a test can add a section or break a field.
 */
export function minimalAgent(id: string, overrides: Record<string, unknown> = {}): AgentSpecInput & Record<string, unknown> {
  return {
    schemaVersion: 1,
    id,
    displayName: `Agent ${id}`,
    owner: 'team-test',
    ...overrides,
  };
}

/**
 * Writes `spec` as YAML to `<dir>/<spec.id>.yaml` (or `fileName` when given, e.g. to test a
 * mismatching name) and returns the file's path.
 */
export async function writeAgentFile(dir: string, spec: object, fileName?: string): Promise<string> {
  const id = (spec as { id?: unknown }).id;
  const name = fileName ?? `${typeof id === 'string' ? id : 'unnamed'}.yaml`;
  const path = join(dir, name);
  await writeFile(path, stringify(spec), 'utf8');
  return path;
}

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AGENT_SCHEMA_PATH, generateAgentJsonSchema, renderAgentJsonSchema, writeAgentJsonSchema } from './json-schema.js';

const REPO = resolve(import.meta.dirname, '../..');
const COMMITTED = join(REPO, AGENT_SCHEMA_PATH);

describe('agent JSON Schema', () => {
  it('matches the committed schema/agent.schema.json', async () => {
    // Regenerate with `warden schema --write`, or: WARDEN_UPDATE_SCHEMA=1 npx vitest run src/catalog/json-schema.test.ts
    if (process.env.WARDEN_UPDATE_SCHEMA === '1') await writeAgentJsonSchema(COMMITTED);
    const committed = await readFile(COMMITTED, 'utf8').catch(() => '(missing)');
    expect(committed, 'schema/agent.schema.json is stale: run `npm run schema` (or WARDEN_UPDATE_SCHEMA=1 npx vitest run src/catalog/json-schema.test.ts)').toBe(renderAgentJsonSchema());
  });

  it('is draft 2020-12, strict at the top level and describes what authors write', () => {
    const schema = generateAgentJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(['schemaVersion', 'id', 'displayName', 'owner']);
    const props = schema.properties as Record<string, { description?: string }>;
    expect(Object.keys(props)).toEqual([
      'schemaVersion', 'id', 'displayName', 'owner', 'description', 'tags', 'status',
      'tools', 'models', 'a2a', 'budgets', 'rateLimits', 'dataExposure', 'loops',
    ]);
    for (const [name, prop] of Object.entries(props)) expect(prop.description, `${name} has no description`).toBeTruthy();
  });

  it('renders identically every time, pretty-printed with a trailing newline', () => {
    const text = renderAgentJsonSchema();
    expect(renderAgentJsonSchema()).toBe(text);
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "properties": {\n');
  });

  it('writes the file only when its content changes', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'warden-schema-'));
    try {
      const path = join(dir, 'agent.schema.json');
      expect(await writeAgentJsonSchema(path)).toBe(true);
      expect(await writeAgentJsonSchema(path)).toBe(false);
      expect(await readFile(path, 'utf8')).toBe(renderAgentJsonSchema());
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

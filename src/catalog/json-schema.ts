/** schema/agent.schema.json, generated from the zod schema so editors can validate agent files. */
import { readFile, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { AgentSpecSchema } from './agent-schema.js';

/** Repository-relative location of the committed schema. */
export const AGENT_SCHEMA_PATH = 'schema/agent.schema.json';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Sorts keywords at every level so the file does not churn when the generator changes its
 * emission order; the names inside `properties` keep their declared order (the reading order
 * of the docs, and the order editors offer completions in).
 */
function stableKeys(value: Json, inProperties = false): Json {
  if (Array.isArray(value)) return value.map((v) => stableKeys(v));
  if (value === null || typeof value !== 'object') return value;
  const keys = Object.keys(value);
  if (!inProperties) keys.sort();
  const out: { [key: string]: Json } = {};
  for (const k of keys) {
    const child = value[k] as Json;
    // Under `properties`, children are schemas again (not property maps).
    out[k] = inProperties ? stableKeys(child) : stableKeys(child, k === 'properties');
  }
  return out;
}

/**
 * The JSON Schema (draft 2020-12) of one agent file. Describes what authors write: fields
 * with defaults are optional. Cross-field rules (duplicates, allow/deny overlaps) live only
 * in the loader, which always has the last word.
 */
export function generateAgentJsonSchema(): Record<string, unknown> {
  const generated = z.toJSONSchema(AgentSpecSchema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'throw' });
  const withTitle = { ...generated, title: 'Warden agent (schemaVersion 1)' };
  return stableKeys(JSON.parse(JSON.stringify(withTitle)) as Json) as Record<string, unknown>;
}

/** The exact text of schema/agent.schema.json: pretty-printed, trailing newline. */
export function renderAgentJsonSchema(): string {
  return `${JSON.stringify(generateAgentJsonSchema(), null, 2)}\n`;
}

/**
 * Writes the schema to `path` (for `warden schema --write`). Leaves an up-to-date file
 * untouched and returns whether it changed anything.
 */
export async function writeAgentJsonSchema(path: string): Promise<boolean> {
  const text = renderAgentJsonSchema();
  const existing = await readFile(path, 'utf8').catch(() => null);
  if (existing === text) return false;
  await writeFile(path, text, 'utf8');
  return true;
}

import { fileURLToPath } from 'node:url';
import { generateAgentJsonSchema, writeAgentJsonSchema } from '../catalog/index.js';
import { parse, UsageError, type Io } from './common.js';

/** The committed copy editors point at (`# yaml-language-server: $schema=...`). */
export const AGENT_SCHEMA_FILE = fileURLToPath(new URL('../../schema/agent.schema.json', import.meta.url));

export async function schemaCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { write: { type: 'boolean' }, out: { type: 'string' } }, false);
  if (values.help) {
    io.out.write('warden schema [--write | --out FILE]   print or write the agent catalog JSON Schema\n');
    return 0;
  }
  if (values.write && values.out) throw new UsageError('give --write (the committed schema/agent.schema.json) or --out FILE, not both');
  if (values.write || values.out) {
    const path = values.out ?? AGENT_SCHEMA_FILE;
    await writeAgentJsonSchema(path);
    io.out.write(`wrote ${path}\n`);
    return 0;
  }
  io.out.write(`${JSON.stringify(generateAgentJsonSchema(), null, 2)}\n`);
  return 0;
}

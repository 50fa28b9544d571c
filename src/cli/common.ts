import { parseArgs, type ParseArgsConfig } from 'node:util';
import { loadConfig, type LoadedConfig } from '../config/load.js';

/** Options every verb that touches configuration accepts. */
export const CONFIG_OPTIONS = {
  config: { type: 'string', short: 'c' },
  'data-dir': { type: 'string' },
  catalog: { type: 'string' },
  imports: { type: 'string' },
  host: { type: 'string' },
  port: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface Io {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

export function parse<O extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options: { ...CONFIG_OPTIONS, ...options }, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

export async function configFrom(values: Record<string, unknown>): Promise<LoadedConfig> {
  const port = values.port === undefined ? undefined : Number(values.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 0 || port > 65535)) throw new UsageError('--port must be 0..65535');
  return loadConfig(values.config as string | undefined, {
    ...(values.host !== undefined ? { host: values.host as string } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values['data-dir'] !== undefined ? { dataDir: values['data-dir'] as string } : {}),
    ...(values.catalog !== undefined ? { catalogDir: values.catalog as string } : {}),
    ...(values.imports !== undefined ? { importsDir: values.imports as string } : {}),
  });
}

/** Accepts ISO 8601 or milliseconds since the epoch. */
export function parseTime(value: string, flag: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(n)) throw new UsageError(`${flag}: not a time (ISO 8601 or epoch milliseconds): ${value}`);
  return n;
}

export function printTable(out: NodeJS.WritableStream, rows: Array<Record<string, unknown>>, columns: string[]): void {
  const cell = (v: unknown) => (v === null || v === undefined ? '-' : String(v)).replace(/[\r\n\t]/g, ' ');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  out.write(`${line(columns)}\n`);
  for (const r of rows) out.write(`${line(columns.map((c) => cell(r[c])))}\n`);
}

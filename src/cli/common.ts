import { userInfo } from 'node:os';
import { closeSync, openSync, writeSync } from 'node:fs';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { parseTimeParam, TIME_PARAM_FORMS } from '../audit/time-param.js';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import { UNSAFE_CHARS } from '../util/unsafe-chars.js';

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

/** A time flag's value (parseTimeParam: strict ISO 8601 or epoch milliseconds), or a UsageError. */
export function parseTime(value: string, flag: string): number {
  const n = parseTimeParam(value);
  if (n === null) throw new UsageError(`${flag}: not a time (expected ${TIME_PARAM_FORMS}): ${value}`);
  return n;
}

// Table cells often hold attacker-influenced text (agent ids, reasons, targets): never let it
// drive the terminal. C0/C1 controls, DEL, line/paragraph separators and bidi overrides,
// isolates and marks become '?'; tabs and line breaks become spaces so rows stay aligned.
const LAYOUT = /[\t\r\n]/g;

/** A value as one safe table cell: `-` for null/undefined, controls neutralized, at most `max` characters. */
export function tableCell(v: unknown, max = Infinity): string {
  const s = v === null || v === undefined ? '-' : String(v).replace(LAYOUT, ' ').replace(UNSAFE_CHARS, '?');
  return s.length > max ? s.slice(0, Math.max(0, max - 1)) + '…' : s;
}

export interface PrintTableOptions {
  /** Most characters per cell, by column (longer values end with `…`). */
  maxWidth?: Record<string, number>;
}

/** Prints rows as aligned columns. Every cell goes through tableCell, so no field can drive the terminal. */
export function printTable(out: NodeJS.WritableStream, rows: Array<Record<string, unknown>>, columns: string[], opts: PrintTableOptions = {}): void {
  const cell = (r: Record<string, unknown>, c: string) => tableCell(r[c], opts.maxWidth?.[c]);
  const cells = rows.map((r) => columns.map((c) => cell(r, c)));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  out.write(`${line(columns)}\n`);
  for (const r of cells) out.write(`${line(r)}\n`);
}

/** A file-system error in a few words, for one-line CLI messages. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException | null;
  switch (e?.code) {
    case 'ENOENT':
      return 'no such file or directory (does its directory exist?)';
    case 'ENOTDIR':
      return 'a component of the path is not a directory';
    case 'EISDIR':
      return 'it is a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOSPC':
    case 'EDQUOT':
      return 'no space left on device';
    case 'EROFS':
      return 'read-only file system';
    case 'EPIPE':
      return 'the reading end was closed';
    default: {
      const msg = e instanceof Error ? e.message.split('\n')[0] : String(err);
      return e?.code && !msg?.includes(e.code) ? `${e.code}: ${msg}` : (msg ?? 'unknown error');
    }
  }
}

/**
 * Opens (creating or truncating) an output file synchronously, so a bad path fails at once
 * with a clear one-line message, before any work is done. New files get `mode` (default
 * 0600: CLI outputs often hold audit data). Returns the file descriptor.
 */
export function openOutputFile(path: string, mode = 0o600): number {
  try {
    return openSync(path, 'w', mode);
  } catch (err) {
    throw new Error(`cannot write ${path}: ${describeFsError(err)}`);
  }
}

/** Writes a whole (small) output file, with the same one-line errors as openOutputFile. */
export function writeOutputFile(path: string, text: string, mode = 0o600): void {
  const fd = openOutputFile(path, mode);
  try {
    writeSync(fd, text);
  } catch (err) {
    throw new Error(`cannot write ${path}: ${describeFsError(err)}`);
  } finally {
    closeSync(fd);
  }
}

/** Backpressure-aware writes whose every method rejects as soon as the stream fails. */
export interface StreamWriter {
  /** Resolves when the chunk is accepted (waiting for 'drain' when the buffer is full). */
  write(chunk: string): Promise<void>;
  /** Ends the stream and resolves once everything is flushed ('finish'). */
  end(): Promise<void>;
  /** Stops listening to the stream (call when done with a stream you do not own, e.g. stdout). */
  release(): void;
}

type Observable = NodeJS.WritableStream & { destroyed?: boolean; writableFinished?: boolean };

/**
 * Wraps a writable stream so no write path can hang on an error: an 'error' (even one that
 * happens while nobody waits), a 'close' before 'finish' or a destroyed stream rejects the
 * pending and every later call. `label` prefixes the error message.
 */
export function streamWriter(dest: NodeJS.WritableStream, label: string): StreamWriter {
  const stream = dest as Observable;
  let failure: Error | null = null;
  const fail = (err: unknown): Error => (failure ??= new Error(`${label}: ${describeFsError(err)}`));
  const onError = (err: Error): void => void fail(err);
  stream.on('error', onError);
  const check = (): void => {
    if (failure) throw failure;
    if (stream.destroyed && !stream.writableFinished) throw fail(new Error('the stream was closed'));
  };
  const waitFor = (event: 'drain' | 'finish'): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const settle = (err: Error | null): void => {
        stream.off(event, onEvent).off('error', onErr).off('close', onClose);
        if (err) reject(err);
        else resolve();
      };
      const onEvent = (): void => settle(null);
      const onErr = (err: Error): void => settle(fail(err));
      const onClose = (): void => settle(event === 'finish' && stream.writableFinished ? null : fail(new Error('the stream was closed')));
      stream.on(event, onEvent).on('error', onErr).on('close', onClose);
      try {
        check();
      } catch (err) {
        settle(err as Error);
      }
    });
  return {
    async write(chunk) {
      check();
      if (!stream.write(chunk)) await waitFor('drain');
      check();
    },
    async end() {
      check();
      const done = waitFor('finish');
      stream.end();
      await done;
    },
    release() {
      stream.off('error', onError);
    },
  };
}

/**
 * Who ran a state-changing CLI verb, for its audit record: the OS account (the CLI has no
 * other identity; whoever can write the data directory can run it).
 */
export function cliActor(): { actor: 'cli'; osUser: string | null } {
  let osUser: string | null = null;
  try {
    osUser = userInfo().username;
  } catch {
    osUser = process.env.USER ?? null;
  }
  return { actor: 'cli', osUser };
}

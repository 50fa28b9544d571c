import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

/**
 * Header and field names that could carry credentials. pino removes them wherever they
 * appear in a logged object, as a second line of defence: the code never logs raw
 * headers, payloads or secrets in the first place.
 */
const REDACT_PATHS = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
  '*.headers.cookie',
  'token',
  '*.token',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'password',
  '*.password',
];

export interface LoggerOptions {
  level: string;
  pretty: 'auto' | 'always' | 'never';
  /** Defaults to stdout. */
  destination?: NodeJS.WritableStream;
}

export function createLogger(opts: LoggerOptions): Logger {
  const usePretty = opts.pretty === 'always' || (opts.pretty === 'auto' && process.stdout.isTTY === true);
  const base = {
    level: opts.level,
    base: { pid: process.pid },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (usePretty) {
    return pino(base, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }));
  }
  return pino(base, (opts.destination as pino.DestinationStream | undefined) ?? pino.destination({ sync: false }));
}

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
  if (opts.destination) return pino(base, opts.destination as pino.DestinationStream);
  // Lines are gathered up to 4 KiB (or 200 ms) per write: one write per request (an access
  // line each) costs a thread-pool round trip, which on a busy gateway is more than the line.
  const dest = pino.destination({ sync: false, minLength: 4096 });
  const timer = setInterval(() => dest.flush(), 200);
  timer.unref();
  return pino(base, dest);
}

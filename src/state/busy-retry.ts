import { GatewayError } from '../errors/gateway-error.js';

/** SQLite's "another connection holds the lock" errors. */
export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || code === 'SQLITE_BUSY_SNAPSHOT';
}

/**
 * Runs a short synchronous state write, retrying on a busy lock with async back-off
 * instead of blocking the event loop inside SQLite's busy handler. Past the deadline the
 * caller gets a retryable 503.
 */
export async function withBusyRetry<T>(write: () => T, deadlineMs = 2000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 0; ; attempt++) {
    try {
      return write();
    } catch (err) {
      if (!isBusy(err)) throw err;
      if (Date.now() >= until) {
        throw new GatewayError('OVERLOADED', 'The state store is busy; retry shortly', { headers: { 'retry-after': '1' }, cause: err });
      }
      await new Promise((r) => setTimeout(r, Math.min(10 * 2 ** attempt, 200)));
    }
  }
}

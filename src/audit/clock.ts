import { performance } from 'node:perf_hooks';

/**
 * Milliseconds on a monotonic clock, for deadlines and timeouts (never for record times,
 * which stay wall-clock): a wall-clock step (NTP, an operator) neither expires every waiting
 * append at once nor leaves them waiting for minutes. `timeOrigin + now()` puts every thread
 * on one scale (each thread's timeOrigin is taken from the same wall clock at its start), so a
 * deadline computed by the sink can be compared by the writer thread.
 */
export function monotonicNow(): number {
  return performance.timeOrigin + performance.now();
}

export interface BackoffOptions {
  baseMs: number;
  capMs: number;
  /** Uniform in [0, 1), like Math.random. */
  random: () => number;
}

/**
 * Full-jitter exponential backoff: uniform in [0, min(capMs, baseMs * 2^(attempt-1))].
 * Full jitter (rather than a jittered fixed delay) spreads the retries of many agents
 * that failed together, so they do not hit the recovering target in one wave.
 * `attempt` is 1 for the first retry; lower values are treated as 1.
 */
export function backoffMs(attempt: number, opts: BackoffOptions): number {
  if (!(opts.baseMs > 0) || !(opts.capMs > 0)) return 0;
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  // 2^exponent overflows to Infinity for huge attempts, which min() caps; never NaN here.
  const ceiling = Math.min(opts.capMs, opts.baseMs * 2 ** exponent);
  return opts.random() * ceiling;
}

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/;
const HTTP_DATE_START = /^\s*(?:mon|tue|wed|thu|fri|sat|sun)/i;

/**
 * The wait an upstream asked for, in ms, or undefined when it asked for none (or sent
 * something unreadable). `retryAfter` is the `retry-after` header: delay-seconds or an
 * HTTP date, which is wall-clock time, so `now` here is Date.now(), not a monotonic clock.
 * `retryAfterMsHeader` is the non-standard `retry-after-ms` header OpenAI sends; when it
 * is readable it wins, as it does in the `openai` client. A date in the past means 0.
 */
export function retryAfterMs(retryAfter: string | undefined, now: number, retryAfterMsHeader?: string): number | undefined {
  if (retryAfterMsHeader !== undefined && DECIMAL.test(retryAfterMsHeader)) {
    const ms = Number(retryAfterMsHeader);
    if (Number.isFinite(ms)) return ms;
  }
  if (retryAfter === undefined) return undefined;
  // Check digits before Date.parse, which would read a bare "5" as the year 2005.
  if (DECIMAL.test(retryAfter)) {
    const ms = Number(retryAfter) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  // Every HTTP date form starts with a weekday; without that guard Date.parse would turn
  // garbage such as "hello 1" into a date in 2001.
  if (!HTTP_DATE_START.test(retryAfter)) return undefined;
  // asctime carries no zone but means GMT; Date.parse would read it as local time.
  const at = Date.parse(/GMT\s*$/i.test(retryAfter) ? retryAfter : `${retryAfter} GMT`);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

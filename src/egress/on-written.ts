import type { Dispatcher } from 'undici';

/**
 * A request option naming a function to call when undici writes the request to a connection
 * (a symbol, so undici ignores it). Until then the request only waited for a connection or in
 * the pool's queue, and the upstream never saw it: budgets charge an LLM attempt, an MCP
 * call or an API call that failed without an answer only if it was written.
 */
export const ON_WRITTEN: unique symbol = Symbol('warden.egress.onWritten');

/**
 * undici calls a request's `onConnect` as it writes the request to a connection (never while it
 * waits in the queue); `request()`'s handler has one.
 */
export function noteWritten(handler: Dispatcher.DispatchHandler, onWritten: () => void): void {
  const h = handler as { onConnect?: (...args: unknown[]) => unknown };
  const onConnect = h.onConnect;
  if (typeof onConnect !== 'function') return;
  h.onConnect = function (this: unknown, ...args: unknown[]) {
    onWritten();
    return onConnect.apply(this, args);
  };
}

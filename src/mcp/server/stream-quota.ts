/**
 * Long-lived notification streams (a session's GET stream, a legacy SSE session, a
 * subscriptions/listen stream) do no work, so they do not hold one of the gateway's
 * in-flight request slots (that would let one agent starve everyone with idle streams);
 * they are counted here instead, per agent and in total.
 */
import { GatewayError } from '../../errors/gateway-error.js';

export class StreamQuota {
  readonly #perAgent = new Map<string, number>();
  #total = 0;
  readonly #maxPerAgent: number;
  readonly #maxTotal: number;

  constructor(maxPerAgent: number, maxTotal: number) {
    this.#maxPerAgent = maxPerAgent;
    this.#maxTotal = maxTotal;
  }

  get total(): number {
    return this.#total;
  }

  /** Takes a slot for the agent or throws RATE_LIMITED; the returned function gives it back (once). */
  acquire(agentId: string): () => void {
    const mine = this.#perAgent.get(agentId) ?? 0;
    if (mine >= this.#maxPerAgent) {
      throw new GatewayError('RATE_LIMITED', `Too many open notification streams for this agent (limit ${this.#maxPerAgent}); close one first`, {
        headers: { 'retry-after': '5' },
      });
    }
    if (this.#total >= this.#maxTotal) {
      throw new GatewayError('OVERLOADED', 'Too many open notification streams; retry later', { headers: { 'retry-after': '5' } });
    }
    this.#perAgent.set(agentId, mine + 1);
    this.#total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#total--;
      const n = (this.#perAgent.get(agentId) ?? 1) - 1;
      if (n <= 0) this.#perAgent.delete(agentId);
      else this.#perAgent.set(agentId, n);
    };
  }
}

/**
 * Moves a response from the in-flight request count to the stream quota: takes the agent's
 * stream slot (or throws), gives back the request slot, and returns the release function
 * to call when the stream ends.
 */
export function becomeStream(quota: StreamQuota, agentId: string, locals: Record<string, unknown>): () => void {
  const release = quota.acquire(agentId);
  (locals.releaseSlot as (() => void) | undefined)?.();
  return release;
}

/**
 * How many request bodies each agent may be sending at once. A body is buffered whole before
 * the policies that read it run, so without this one key could hold up to `maxInFlight`
 * uploads of `maxBodyBytes` open (slowly, holding back the last bytes) and pin gigabytes of
 * buffers before its own `concurrent` limit, which needs the body's target, ever ran.
 */
export class BodyReads {
  readonly #max: number;
  readonly #reading = new Map<string, number>();

  constructor(maxPerAgent: number) {
    this.#max = maxPerAgent;
  }

  /** A release function, or null when the agent is at its limit. */
  enter(agentId: string): (() => void) | null {
    const n = this.#reading.get(agentId) ?? 0;
    if (n >= this.#max) return null;
    this.#reading.set(agentId, n + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      const now = (this.#reading.get(agentId) ?? 1) - 1;
      if (now === 0) this.#reading.delete(agentId);
      else this.#reading.set(agentId, now);
    };
  }

  /** Agents with a body being received (for tests and diagnostics). */
  get agents(): number {
    return this.#reading.size;
  }
}

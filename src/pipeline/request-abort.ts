/**
 * What a cancellable step needs of a request's abort: whether it happened, and a listener.
 * As with an AbortSignal's listeners: each runs once, on abort, in the order added; adding one
 * twice adds it once; one removed (even by another listener during the abort) does not run;
 * one added after the abort never runs, so check `aborted` first.
 */
export interface AbortSource {
  readonly aborted: boolean;
  readonly reason: unknown;
  onAbort(listener: () => void): void;
  offAbort(listener: () => void): void;
}

/**
 * A request's cancellation: aborted when its client goes away or its surface cancels it
 * (MCP notifications/cancelled). Node's AbortController is made only when something needs
 * a real AbortSignal (`signal`: Warden's MCP upstream client, the OpenAPI tool calls); the
 * request path of the LLM proxy uses the listeners here and never makes one. Every AbortSignal Node creates is an
 * EventTarget whose prototype is then replaced, and with one per request the young-generation
 * collector kept each request's objects through two collections (measured with
 * `--trace-gc-nvp`, docs/benchmarks.md run L), besides costing about 4 µs to make.
 */
export class RequestAbort implements AbortSource {
  #aborted = false;
  #reason: unknown = undefined;
  #listeners: Array<() => void> | null = null;
  #controller: AbortController | null = null;

  get aborted(): boolean {
    return this.#aborted;
  }

  /** Why it was aborted (an AbortError DOMException when no reason was given), else undefined. */
  get reason(): unknown {
    return this.#reason;
  }

  /** A real AbortSignal that follows this abort, made on first use. */
  get signal(): AbortSignal {
    if (this.#controller === null) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  onAbort(listener: () => void): void {
    if (this.#aborted) return;
    const list = (this.#listeners ??= []);
    if (!list.includes(listener)) list.push(listener);
  }

  offAbort(listener: () => void): void {
    const list = this.#listeners;
    if (list === null) return;
    const at = list.indexOf(listener);
    if (at >= 0) list.splice(at, 1);
  }

  /**
   * Aborts once: aborts `signal` (if made), then runs the listeners. A throwing listener is
   * reported as uncaught, as EventTarget does, and the others still run.
   */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    this.#controller?.abort(this.#reason);
    const list = this.#listeners;
    if (list !== null) {
      // A listener may remove a later one (offAbort splices `list`): run only those still in it.
      for (const listener of [...list]) {
        if (!list.includes(listener)) continue;
        try {
          listener();
        } catch (err) {
          process.nextTick(() => {
            throw err;
          });
        }
      }
    }
    this.#listeners = null;
  }
}

import type { Logger } from 'pino';

type LogFn = (...args: unknown[]) => void;

/**
 * A request's logger, made only if the request logs: pino serializes (and redacts) a
 * child's bindings when the child is created, which costs more than most requests spend on
 * anything else they log (nothing, usually: the access line goes through its own logger).
 * Covers the Logger methods request code uses; the child is created on the first call.
 * Methods live on the prototype, so a request that never logs allocates one small object.
 */
class DeferredChild {
  readonly #parent: Logger;
  readonly #bindings: Record<string, unknown>;
  #child: Logger | undefined;

  constructor(parent: Logger, bindings: Record<string, unknown>) {
    this.#parent = parent;
    this.#bindings = bindings;
  }

  #real(): Logger {
    return (this.#child ??= this.#parent.child(this.#bindings));
  }

  trace(...a: unknown[]): void {
    (this.#real().trace as LogFn)(...a);
  }
  debug(...a: unknown[]): void {
    (this.#real().debug as LogFn)(...a);
  }
  info(...a: unknown[]): void {
    (this.#real().info as LogFn)(...a);
  }
  warn(...a: unknown[]): void {
    (this.#real().warn as LogFn)(...a);
  }
  error(...a: unknown[]): void {
    (this.#real().error as LogFn)(...a);
  }
  fatal(...a: unknown[]): void {
    (this.#real().fatal as LogFn)(...a);
  }
  child(bindings: Record<string, unknown>): Logger {
    return this.#real().child(bindings);
  }
  isLevelEnabled(level: string): boolean {
    return this.#parent.isLevelEnabled(level);
  }
  bindings(): Record<string, unknown> {
    return { ...this.#parent.bindings(), ...this.#bindings };
  }
  flush(): void {
    this.#parent.flush();
  }
  get level(): string {
    return this.#parent.level;
  }
}

export function deferredChild(parent: Logger, bindings: Record<string, unknown>): Logger {
  return new DeferredChild(parent, bindings) as unknown as Logger;
}

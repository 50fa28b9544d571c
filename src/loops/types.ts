/** One call as the detectors see it. `target` is a tool name or model; `argsDigest` a digest of the canonicalized arguments (tool arguments, or the LLM messages + params). */
export interface CallRecord {
  requestId: string;
  target: string;
  argsDigest: string;
  /**
   * When the call happened, in milliseconds on the caller's clock (the detectors read no clock
   * of their own, so a test injects time here). Any monotonic origin works; a value earlier
   * than the previous call's is treated as the previous call's time.
   */
  at: number;
}

export interface Trip {
  rule: 'repetition' | 'cycle' | 'velocity';
  message: string;
  /** request ids of the calls that make the evidence, oldest first */
  evidence: string[];
  details: Record<string, unknown>;
}

/** What to detect; an absent rule is off. `rulesFrom` derives these from the catalog's `loops` section. */
export interface LoopRules {
  /** `threshold` identical calls (this one included) within `windowMs`. */
  repetition?: { threshold: number; windowMs: number };
  /** A period-2..8 pattern of identical calls repeated more than this many times in a row. */
  cycleRepetitions?: number;
  /** Only calls within this window form a cycle; absent: any call still held. */
  cycleWindowMs?: number;
  /** Calls in the short window, as a rate, above this multiple of the agent's baseline rate. */
  velocityFactor?: number;
  /** Windows and the minimum burst for `velocityFactor`; absent: DEFAULT_VELOCITY. */
  velocity?: { shortWindowMs: number; baselineWindowMs: number; minCalls: number };
}

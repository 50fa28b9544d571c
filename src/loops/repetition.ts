import type { CallRing } from './call-ring.js';
import { seconds } from './duration.js';
import type { CallRecord, LoopRules, Trip } from './types.js';

type RepetitionRule = NonNullable<LoopRules['repetition']>;

/**
 * Trips when `call` (not yet in the ring, keyed `key`) makes `threshold` identical calls within
 * the last `windowMs` (a call exactly `windowMs` old has left the window). Walks at most
 * threshold - 1 links back through the calls with the same key.
 */
export function checkRepetition(ring: CallRing, call: CallRecord, key: string, now: number, rule: RepetitionRule): Trip | null {
  const since = now - rule.windowMs;
  let count = 1;
  let seq = ring.latestOf(key);
  while (count < rule.threshold && seq >= 0 && ring.atOf(seq) > since) {
    count++;
    seq = ring.previousSame(seq);
  }
  if (count < rule.threshold) return null;

  const evidence = new Array<string>(rule.threshold);
  evidence[rule.threshold - 1] = call.requestId;
  seq = ring.latestOf(key);
  for (let i = rule.threshold - 2; i >= 0; i--) {
    evidence[i] = ring.idAt(seq);
    seq = ring.previousSame(seq);
  }
  return {
    rule: 'repetition',
    message: `${rule.threshold} identical calls to ${call.target} within ${seconds(rule.windowMs)}`,
    evidence,
    details: { target: call.target, argsDigest: call.argsDigest, count: rule.threshold, windowMs: rule.windowMs },
  };
}

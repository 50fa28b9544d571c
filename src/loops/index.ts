/** Loop and runaway detection: pure detectors over one agent's recent calls (the policy that acts on them lives elsewhere). */
export { AgentCallHistory, DEFAULT_MAX_CALLS } from './agent-call-history.js';
export { argsDigest } from './args-digest.js';
export { MAX_PERIOD } from './cycle.js';
export { DEFAULT_VELOCITY, rulesFrom } from './rules.js';
export type { CallRecord, LoopRules, Trip } from './types.js';
export { MAX_VELOCITY_EVIDENCE, VELOCITY_FLOOR_PER_SECOND } from './velocity.js';

export { Egress, normalizeOrigin, type EgressOptions, type EgressTarget } from './egress.js';
export { EgressError, type EgressErrorCode, type EgressTimeoutPhase } from './egress-error.js';
export type { EgressRequest, EgressResponse, EgressTimeouts } from './one-shot.js';
export type { EgressLookup } from './pinned-connector.js';
export { checkAddress, classifyAddress, type AddressClass, type AddressKind } from './address-policy.js';

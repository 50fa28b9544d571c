export { createUpstreamClient, UpstreamManager, type StartReport } from './manager.js';
export type { UpstreamClientOptions } from './client.js';
export type { ClientIdentity } from './handshake.js';
export type * from './types.js';

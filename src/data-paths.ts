import { join } from 'node:path';

/** Where the databases live in a data directory (the gateway and the CLI must agree). */
export const auditDbPath = (dataDir: string) => join(dataDir, 'audit.db');
export const stateDbPath = (dataDir: string) => join(dataDir, 'state.db');

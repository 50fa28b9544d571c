import { pino } from 'pino';
import type { Catalog } from '../../src/catalog/index.js';
import type { RequestContext } from '../../src/pipeline/context.js';
import { NO_HOPS } from '../../src/loops/hop-chain.js';
import { RequestAbort } from '../../src/pipeline/request-abort.js';

export function emptyCatalog(): Catalog {
  return { agents: new Map(), version: 1, digest: 'test', loadedAt: 0, files: [] } as unknown as Catalog;
}

/** A request context as the HTTP adapter would build it. */
export function makeContext(overrides: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req-1',
    receivedAt: 1_700_000_000_000,
    startedAt: performance.now(),
    channel: 'gateway',
    action: 'whoami',
    target: null,
    traceId: '0af7651916cd43dd8448eb211c80319c',
    parentId: null,
    hops: NO_HOPS,
    credential: null,
    catalog: emptyCatalog(),
    payload: undefined,
    requestBytes: 0,
    requestDigest: null,
    abort: new RequestAbort(),
    log: pino({ level: 'silent' }),
    principal: null,
    annotations: {},
    ...overrides,
  };
}

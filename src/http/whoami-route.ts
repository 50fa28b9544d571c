import type { Express } from 'express';
import { governed, type GovernedDeps } from './governed-route.js';

/**
 * `GET /v1/whoami`: the minimal authenticated endpoint. It lets an agent (and an operator
 * wiring one up) check that its key works, and exercises the whole chain end to end.
 */
export function mountWhoami(app: Express, deps: GovernedDeps): void {
  app.get(
    '/v1/whoami',
    governed(deps, {
      channel: 'gateway',
      action: 'whoami',
      body: 'none',
      handle(ctx) {
        const p = ctx.principal;
        if (p?.kind !== 'agent') throw new Error('whoami reached without an agent principal');
        const a = p.agent;
        return {
          status: 200,
          body: {
            agent: { id: a.id, displayName: a.displayName, owner: a.owner, description: a.description, tags: a.tags, status: 'active' },
            keyId: p.keyId,
            requestId: ctx.requestId,
            traceId: ctx.traceId,
          },
        };
      },
    }),
  );
}

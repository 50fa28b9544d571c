import type { Router } from 'express';
import { governed, type GovernedDeps } from '../http/governed-route.js';
import type { ImportStatus } from '../openapi/openapi-imports.js';

export interface OpenApiAdminDeps extends GovernedDeps {
  imports: { status(): ImportStatus[] };
}

/** GET /admin/openapi: every spec of the imports folder, what it became or why it was refused. */
export function mountOpenApiAdmin(app: Pick<Router, 'get'>, deps: OpenApiAdminDeps): void {
  app.get(
    '/admin/openapi',
    governed(deps, {
      channel: 'admin',
      action: 'openapi.status',
      body: 'none',
      handle: () => ({ status: 200, body: { imports: deps.imports.status() } }),
    }),
  );
}

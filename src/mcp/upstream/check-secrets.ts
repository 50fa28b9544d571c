import type { McpConfig } from '../../config/mcp-schema.js';
import type { ConfigIssue } from '../../config/issues.js';
import { resolveSecretRef } from '../../config/secret-ref.js';

/**
 * Every secret reference of every upstream (stdio env, HTTP headers) must resolve: a
 * missing credential is a configuration error found by `warden check` and refused by
 * `warden start`, not an upstream that retries forever in the background.
 */
export async function upstreamSecretIssues(mcp: McpConfig, baseDir: string, file: string, env: NodeJS.ProcessEnv = process.env): Promise<ConfigIssue[]> {
  const issues: ConfigIssue[] = [];
  for (const [i, u] of mcp.upstreams.entries()) {
    const field = u.transport === 'stdio' ? 'env' : 'headers';
    for (const [name, value] of Object.entries(u.transport === 'stdio' ? u.env : u.headers)) {
      if (typeof value === 'string') continue;
      const r = await resolveSecretRef(value, baseDir, env);
      if (!r.ok) issues.push({ file, path: `mcp.upstreams[${i}].${field}.${name}`, message: r.message });
    }
  }
  return issues;
}

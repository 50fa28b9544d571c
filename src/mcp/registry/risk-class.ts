import { compileGlob } from '../../catalog/glob.js';
import type { UpstreamConfig } from '../../config/mcp-schema.js';

/**
 * The gateway's own risk class for an upstream MCP tool. It comes from the upstream's
 * `risk` rules in the gateway's configuration (first glob match on the tool's name as the
 * upstream names it) and defaults to `destructive`. Upstream annotations never count: any
 * server can claim `readOnlyHint: true`.
 */
type RiskRules = UpstreamConfig['risk'];
export type RiskClass = RiskRules[number]['class'];

const compiled = new WeakMap<RiskRules, Array<{ re: RegExp; cls: RiskClass }>>();

export function riskClassFor(rules: RiskRules, toolName: string): RiskClass {
  let list = compiled.get(rules);
  if (!list) {
    list = rules.map((r) => ({ re: compileGlob(r.match), cls: r.class }));
    compiled.set(rules, list);
  }
  for (const { re, cls } of list) if (re.test(toolName)) return cls;
  return 'destructive';
}

/**
 * The annotations clients see. `readOnlyHint` and `destructiveHint` state the gateway's
 * class, so a client that auto-runs "read-only" tools or skips a confirmation for
 * non-destructive ones acts on what the gateway decided, not on the upstream's claim.
 * `idempotentHint` and `openWorldHint` are dropped: the gateway cannot vouch for them, and
 * without them clients fall back to the spec's cautious defaults (not idempotent, open
 * world). The display `title` is kept (it is part of the pinned, scanned definition).
 */
export function exposedAnnotations(upstream: unknown, risk: RiskClass): Record<string, unknown> {
  const title = typeof upstream === 'object' && upstream !== null ? (upstream as Record<string, unknown>).title : undefined;
  return {
    ...(typeof title === 'string' ? { title } : {}),
    readOnlyHint: risk === 'read-only',
    destructiveHint: risk === 'destructive',
  };
}

/**
 * @module authorize-target: what the agent's request is aimed at (a tool, a prompt, a
 * resource) must be one the catalog lets it use. Runs after the body is read, because
 * MCP names the target inside the JSON-RPC body. A target the agent may not see is
 * refused exactly like one that does not exist, so refusals reveal nothing.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { McpDirectory } from '../mcp/directory-types.js';
import type { Decision, Policy } from '../pipeline/policy.js';
import { toolPermitted } from './tool-access.js';

export interface AuthorizeTargetDeps {
  /** Absent until the MCP surface is configured; then MCP targets are all unknown. */
  mcpDirectory?: () => McpDirectory | undefined;
}

const ALLOW: Decision = { kind: 'allow' };

export function createAuthorizeTargetPolicy(deps: AuthorizeTargetDeps): Policy {
  return {
    name: 'authorize-target',
    request(ctx): Decision {
      if (ctx.channel !== 'mcp' || ctx.principal?.kind !== 'agent') return ALLOW;
      const agent = ctx.principal.agent;
      const dir = deps.mcpDirectory?.();
      const target = ctx.target;
      switch (ctx.action) {
        case 'tools/call': {
          const tool = target ? dir?.tool(target) : undefined;
          if (!tool || !toolPermitted(agent, tool.name, tool.risk)) return unknown('tool', target);
          if (tool.status !== 'approved') {
            return {
              kind: 'deny',
              error: new GatewayError(
                'TOOL_QUARANTINED',
                tool.status === 'rejected'
                  ? `Tool ${tool.name} was rejected by an administrator and cannot be called`
                  : `Tool ${tool.name} is quarantined: its definition is new or has changed and awaits an administrator's approval`,
              ),
              reason: `tool ${tool.status}`,
              annotations: { toolHash: tool.hash },
            };
          }
          return { kind: 'allow', reason: `risk ${tool.risk}` };
        }
        case 'prompts/get': {
          const p = target ? dir?.prompt(target) : undefined;
          return p && toolPermitted(agent, p.name, 'read-only') ? ALLOW : unknown('prompt', target);
        }
        case 'resources/read':
        case 'resources/subscribe':
        case 'resources/unsubscribe': {
          const access = target && dir ? resourceAccessNameFor(dir, target) : undefined;
          return access && toolPermitted(agent, access, 'read-only') ? ALLOW : unknown('resource', target);
        }
        case 'completion/complete': {
          // target is `prompt:<name>` or `resource:<uri template>`
          if (!target || !dir) return unknown('completion reference', target);
          if (target.startsWith('prompt:')) {
            const p = dir.prompt(target.slice(7));
            return p && toolPermitted(agent, p.name, 'read-only') ? ALLOW : unknown('prompt', target.slice(7));
          }
          const tpl = dir.resourceTemplates().find((t) => t.uriTemplate === target.slice(9));
          const access = tpl?.accessName ?? resourceAccessNameFor(dir, target.slice(9));
          return access && toolPermitted(agent, access, 'read-only') ? ALLOW : unknown('resource', target.slice(9));
        }
        default:
          return ALLOW;
      }
    },
  };
}

/** A listed resource by its public URI, else the template it instantiates. */
export function resourceAccessNameFor(dir: McpDirectory, uri: string): string | undefined {
  const r = dir.resources().find((x) => x.uri === uri);
  if (r) return r.accessName;
  const parsed = dir.uris.fromPublic(uri);
  if (!parsed || !dir.upstream(parsed.upstream)) return undefined;
  for (const t of dir.resourceTemplates()) {
    if (t.upstream === parsed.upstream && templateMatches(t.uriTemplate, uri)) return t.accessName;
  }
  // Servers may serve URIs they do not list: authorized by the URI itself, in the upstream's namespace.
  return dir.uris.accessName(parsed.upstream, undefined, parsed.uri);
}

/** RFC 6570 level-1 matching: each `{var}` matches one or more characters other than `/`. */
export function templateMatches(template: string, uri: string): boolean {
  const re = template
    .split(/(\{[^}]*\})/)
    .map((part) => (part.startsWith('{') ? (part.startsWith('{+') || part.startsWith('{/') ? '.+' : '[^/]+') : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${re}$`, 's').test(uri);
}

function unknown(what: string, name: string | null): Decision {
  const label = what === 'tool' ? 'Unknown tool' : what === 'prompt' ? 'Unknown prompt' : `Unknown ${what}`;
  return {
    kind: 'deny',
    error: new GatewayError('TOOL_NOT_FOUND', `${label}: ${String(name ?? '').slice(0, 200)}`),
    reason: `${what} not found or not permitted`,
  };
}

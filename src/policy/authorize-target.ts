/**
 * @module authorize-target: what the agent's request is aimed at (a tool, a prompt, a
 * resource, a model) must be one the catalog lets it use. Runs after the body is read, because
 * MCP names the target inside the JSON-RPC body. A target the agent may not see is
 * refused exactly like one that does not exist, so refusals reveal nothing.
 */
import { GatewayError } from '../errors/gateway-error.js';
import type { McpDirectory } from '../mcp/directory-types.js';
import { GOVERNED_AS } from '../pipeline/call-kind.js';
import type { Decision, Policy } from '../pipeline/policy.js';
import { toolPermitted } from './tool-access.js';
import { normalizeUri } from '../mcp/uri-normalize.js';
import type { ModelDirectory } from '../llm/model-directory.js';
import { authorizeModel } from './authorize-model.js';

export interface AuthorizeTargetDeps {
  /** Absent until the MCP surface is configured; then MCP targets are all unknown. */
  mcpDirectory?: () => McpDirectory | undefined;
  /** The LLM proxy's public models; absent: every model is unknown. */
  models?: () => ModelDirectory | undefined;
}

const ALLOW: Decision = { kind: 'allow' };

export function createAuthorizeTargetPolicy(deps: AuthorizeTargetDeps): Policy {
  return {
    name: 'authorize-target',
    request(ctx): Decision {
      if (ctx.principal?.kind !== 'agent') return ALLOW;
      if (ctx.channel === 'llm') return authorizeModel(ctx, ctx.principal.agent, deps.models?.());
      if (ctx.channel !== 'mcp') return ALLOW;
      const agent = ctx.principal.agent;
      const dir = deps.mcpDirectory?.();
      const target = ctx.target;
      switch (ctx.action) {
        case 'tools/call': {
          // A missing or non-string name is the method's INVALID_PARAMS, not an unknown tool.
          if (target === null) return ALLOW;
          const tool = dir?.tool(target);
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
          if (target === null) return ALLOW;
          const p = dir?.prompt(target);
          return p && toolPermitted(agent, p.name, 'read-only') ? ALLOW : unknown('prompt', target);
        }
        case 'resources/read':
        case 'resources/subscribe':
        case 'resources/unsubscribe': {
          const access = target && dir ? resourceAccessNameFor(dir, target) : undefined;
          return access && toolPermitted(agent, access, 'read-only') ? governedAs(access) : unknown('resource', target);
        }
        case 'completion/complete': {
          // target is `prompt:<name>` or `resource:<uri template>`; a malformed ref is the method's INVALID_PARAMS
          if (target === null) return ALLOW;
          if (!dir) return unknown('completion reference', target);
          if (target.startsWith('prompt:')) {
            const p = dir.prompt(target.slice(7));
            return p && toolPermitted(agent, p.name, 'read-only') ? governedAs(p.name) : unknown('prompt', target.slice(7));
          }
          const tpl = dir.resourceTemplates().find((t) => t.uriTemplate === target.slice(9));
          const access = tpl?.accessName ?? resourceAccessNameFor(dir, target.slice(9));
          return access && toolPermitted(agent, access, 'read-only') ? governedAs(access) : unknown('resource', target.slice(9));
        }
        default:
          return ALLOW;
      }
    },
  };
}

/** Allowed, under `name` for the governance policies after this one (call-kind.ts governedName). */
function governedAs(name: string): Decision {
  return { kind: 'allow', patch: { annotations: { [GOVERNED_AS]: name } } };
}

/**
 * The name a resource URI is authorized under: the listed resource it names, else the
 * template it instantiates, else (only for upstreams with `allowUnlistedResources`) the URI
 * itself. Compared in normalized form, so another spelling of a listed URI is still that
 * resource (and its deny globs apply); callers forward the same normalized URI.
 */
export function resourceAccessNameFor(dir: McpDirectory, uri: string): string | undefined {
  const parsed = dir.uris.fromPublic(uri);
  const client = parsed ? dir.upstream(parsed.upstream) : undefined;
  if (!parsed || !client) return undefined;
  const normalized = normalizeUri(parsed.uri);
  const listed = dir.resources().find((x) => x.upstream === parsed.upstream && normalizeUri(x.upstreamUri) === normalized);
  if (listed) return listed.accessName;
  const publicNormalized = dir.uris.toPublic(parsed.upstream, normalized);
  for (const t of dir.resourceTemplates()) {
    if (t.upstream === parsed.upstream && templateMatches(t.uriTemplate, publicNormalized)) return t.accessName;
  }
  return client.config.allowUnlistedResources ? dir.uris.accessName(parsed.upstream, undefined, normalized) : undefined;
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

import { describe, expect, it } from 'vitest';
import { makeContext } from '../../test/helpers/context.js';
import type { Agent } from '../catalog/index.js';
import type { McpDirectory, ToolView } from '../mcp/directory-types.js';
import { UriNamespace } from '../mcp/resource-uris.js';
import { GOVERNED_AS } from '../pipeline/call-kind.js';
import type { Principal } from '../pipeline/context.js';
import { createAuthorizeTargetPolicy, templateMatches } from './authorize-target.js';

const tools: ToolView[] = [
  { kind: 'mcp', listed: true, name: 'gh__get_issue', upstream: 'gh', upstreamName: 'get_issue', definition: {}, hash: 'h1', risk: 'read-only', status: 'approved' },
  { kind: 'mcp', listed: true, name: 'gh__delete_repo', upstream: 'gh', upstreamName: 'delete_repo', definition: {}, hash: 'h2', risk: 'destructive', status: 'approved' },
  { kind: 'mcp', listed: true, name: 'gh__new_tool', upstream: 'gh', upstreamName: 'new_tool', definition: {}, hash: 'h3', risk: 'read-only', status: 'pending' },
];

const unlisted = { allowed: false };

const directory = {
  generation: 1,
  uris: new UriNamespace(['gh'], null),
  tool: (n: string) => tools.find((t) => t.name === n),
  tools: () => tools,
  prompt: (n: string) => (n === 'gh__summarize' ? { name: n, upstream: 'gh', upstreamName: 'summarize', definition: {} } : undefined),
  prompts: () => [],
  resources: () => [
    { uri: 'gh+repo://readme', upstream: 'gh', upstreamUri: 'repo://readme', accessName: 'gh__readme', definition: {} },
    { uri: 'gh+repo://docs/secret.md', upstream: 'gh', upstreamUri: 'repo://docs/secret.md', accessName: 'gh__secret', definition: {} },
  ],
  resourceTemplates: () => [{ uriTemplate: 'gh+repo://{owner}/issues', upstream: 'gh', accessName: 'gh__issues', definition: {} }],
  upstream: (id: string) => (id === 'gh' ? ({ config: { allowUnlistedResources: unlisted.allowed } } as never) : undefined),
  onChanged: () => () => undefined,
} satisfies McpDirectory;

function principal(toolsSection: unknown): Principal {
  const agent = { id: 'a', tools: toolsSection } as unknown as Agent;
  return { kind: 'agent', agentId: 'a', keyId: 'k', agent };
}

const reader = principal({ allow: ['gh__*'], deny: [], riskClasses: { allow: ['read-only', 'write', 'destructive'], deny: ['destructive'] } });
const policy = createAuthorizeTargetPolicy({ mcpDirectory: () => directory });

async function decide(action: string, target: string | null, who: Principal = reader): Promise<string> {
  const d = await policy.request!(makeContext({ channel: 'mcp', action, target, principal: who }));
  return d.kind === 'allow' ? 'allow' : d.error.code;
}

describe('authorize-target policy', () => {
  it('allows a permitted, approved tool', async () => {
    expect(await decide('tools/call', 'gh__get_issue')).toBe('allow');
  });

  it('refuses a tool of a denied risk class exactly like an unknown tool', async () => {
    const hidden = await policy.request!(makeContext({ channel: 'mcp', action: 'tools/call', target: 'gh__delete_repo', principal: reader }));
    const unknown = await policy.request!(makeContext({ channel: 'mcp', action: 'tools/call', target: 'gh__nope', principal: reader }));
    expect(hidden.kind === 'deny' && hidden.error.code).toBe('TOOL_NOT_FOUND');
    expect(hidden.kind === 'deny' && hidden.error.message.replace('gh__delete_repo', 'X')).toBe(unknown.kind === 'deny' && unknown.error.message.replace('gh__nope', 'X'));
  });

  it('says a visible but unapproved tool is quarantined', async () => {
    expect(await decide('tools/call', 'gh__new_tool')).toBe('TOOL_QUARANTINED');
  });

  it('hides everything from an agent without a tools section', async () => {
    expect(await decide('tools/call', 'gh__get_issue', principal(undefined))).toBe('TOOL_NOT_FOUND');
    expect(await decide('prompts/get', 'gh__summarize', principal(undefined))).toBe('TOOL_NOT_FOUND');
  });

  it('applies the same globs to prompts and resources (listed, templated and unlisted URIs)', async () => {
    expect(await decide('prompts/get', 'gh__summarize')).toBe('allow');
    expect(await decide('resources/read', 'gh+repo://readme')).toBe('allow');
    expect(await decide('resources/read', 'gh+repo://acme/issues')).toBe('allow');
    expect(await decide('resources/read', 'gh+repo://other')).toBe('TOOL_NOT_FOUND');
    unlisted.allowed = true;
    expect(await decide('resources/read', 'gh+repo://other')).toBe('allow');
    unlisted.allowed = false;
    expect(await decide('resources/read', 'nope+repo://x')).toBe('TOOL_NOT_FOUND');
    const issuesOnly = principal({ allow: ['gh__issues'], deny: [], riskClasses: { allow: ['read-only'], deny: [] } });
    expect(await decide('resources/read', 'gh+repo://acme/issues', issuesOnly)).toBe('allow');
    expect(await decide('resources/read', 'gh+repo://readme', issuesOnly)).toBe('TOOL_NOT_FOUND');
  });

  it('judges another spelling of a listed URI as that resource, so its deny globs still apply', async () => {
    const noSecret = principal({ allow: ['gh__*'], deny: ['gh__secret'], riskClasses: { allow: ['read-only'], deny: [] } });
    unlisted.allowed = true;
    try {
      for (const alias of ['gh+repo://docs/secret.md', 'gh+repo://docs/./secret.md', 'gh+REPO://docs/secret.md', 'gh+repo://docs/x/../secret.md', 'gh+repo://docs/%2e/secret.md']) {
        expect(await decide('resources/read', alias, noSecret), alias).toBe('TOOL_NOT_FOUND');
      }
      expect(await decide('resources/read', 'gh+repo://readme', noSecret)).toBe('allow');
    } finally {
      unlisted.allowed = false;
    }
  });

  it('names the resource or prompt a call is governed as, whatever the URI spelling, for the policies after it', async () => {
    const governedAs = async (action: string, target: string) => {
      const d = await policy.request!(makeContext({ channel: 'mcp', action, target, principal: reader }));
      return d.kind === 'allow' ? d.patch?.annotations?.[GOVERNED_AS] : d.error.code;
    };
    expect(await governedAs('resources/read', 'gh+repo://readme')).toBe('gh__readme');
    expect(await governedAs('resources/read', 'gh+REPO://readme')).toBe('gh__readme');
    expect(await governedAs('resources/read', 'gh+repo://acme/issues')).toBe('gh__issues');
    expect(await governedAs('completion/complete', 'prompt:gh__summarize')).toBe('gh__summarize');
    expect(await governedAs('completion/complete', 'resource:gh+repo://{owner}/issues')).toBe('gh__issues');
    // A tool's name is already the name it is governed as.
    expect(await governedAs('tools/call', 'gh__get_issue')).toBeUndefined();
  });

  it('leaves other channels and methods alone', async () => {
    expect(await decide('tools/list', null)).toBe('allow');
    const d = await policy.request!(makeContext({ channel: 'gateway', action: 'whoami', principal: reader }));
    expect(d.kind).toBe('allow');
  });
});

describe('resource template matching', () => {
  it('matches one path segment per simple variable and more for reserved expansion', () => {
    expect(templateMatches('x://{a}/b', 'x://1/b')).toBe(true);
    expect(templateMatches('x://{a}/b', 'x://1/2/b')).toBe(false);
    expect(templateMatches('x://{+path}', 'x://1/2/3')).toBe(true);
  });
});

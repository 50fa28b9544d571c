import type { Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { PromptResourceMirror } from './prompt-resource-mirror.js';
import { publicToolName } from './registry/tool-names.js';
import { UriNamespace } from './resource-uris.js';
import type { UpstreamClient } from './upstream/types.js';

interface Offer {
  prompts?: Array<Record<string, unknown>>;
  resources?: Array<Record<string, unknown>>;
  resourceTemplates?: Array<Record<string, unknown>>;
}

/** Just what the mirror reads of an upstream: its id, capabilities and listings. */
function upstream(id: string, offer: Offer): UpstreamClient {
  const fake = {
    id,
    info: { capabilities: { prompts: {}, resources: {} } },
    listAll: async (kind: keyof Offer) => offer[kind] ?? [],
  };
  return fake as unknown as UpstreamClient;
}

function setup(prefixed: string[], unprefixed: string | null) {
  const errors: Array<Record<string, unknown>> = [];
  const log = { error: (obj: Record<string, unknown>) => errors.push(obj), warn: () => undefined } as unknown as Logger;
  const mirror = new PromptResourceMirror({
    log,
    uris: new UriNamespace(prefixed, unprefixed),
    namer: (u, name) => publicToolName(u === unprefixed ? null : u, name),
    onChange: () => undefined,
  });
  return { mirror, errors };
}

describe('prompt and resource mirror', () => {
  it('refuses prompts of the unprefixed upstream whose names contain "__", and logs each refusal once', async () => {
    const { mirror, errors } = setup(['github'], 'local');
    const local = upstream('local', { prompts: [{ name: 'github__delete_repo' }, { name: 'summarize' }] });
    await mirror.refresh(upstream('github', { prompts: [{ name: 'review' }] }));
    await mirror.refresh(local);
    await mirror.refresh(local);
    expect(mirror.prompts().map((p) => p.name)).toEqual(['github__review', 'summarize']);
    expect(mirror.prompt('github__delete_repo')).toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ upstream: 'local', kind: 'prompt', item: 'github__delete_repo' })]);
  });

  it('refuses resources and templates of the unprefixed upstream that start with a prefixed upstream\'s "<id>+"', async () => {
    const { mirror, errors } = setup(['github'], 'local');
    await mirror.refresh(
      upstream('local', {
        resources: [{ uri: 'github+repo://secret' }, { uri: 'GitHub+repo://secret' }, { uri: 'file:///notes.md' }, { uri: 'other+x://y' }],
        resourceTemplates: [{ uriTemplate: 'github+repo://{name}' }, { uriTemplate: 'file:///{path}' }],
      }),
    );
    expect(mirror.resources().map((r) => r.uri)).toEqual(['file:///notes.md', 'other+x://y']);
    expect(mirror.templates().map((t) => t.uriTemplate)).toEqual(['file:///{path}']);
    expect(errors.map((e) => `${e.kind as string}:${e.item as string}`)).toEqual([
      'resource:github+repo://secret',
      'resource:GitHub+repo://secret',
      'resource template:github+repo://{name}',
    ]);
  });

  it('publishes a prefixed upstream\'s own URIs under its prefix, even ones that name another upstream', async () => {
    const { mirror, errors } = setup(['github', 'docs'], 'local');
    await mirror.refresh(upstream('docs', { resources: [{ uri: 'github+repo://x' }] }));
    expect(mirror.resources().map((r) => r.uri)).toEqual(['docs+github+repo://x']);
    expect(errors).toEqual([]);
  });

  it('keeps the first of two prompts, resources or templates with the same public name or URI and refuses the later with an error', async () => {
    const { mirror, errors } = setup(['a'], null);
    await mirror.refresh(
      upstream('a', {
        prompts: [{ name: 'p', description: 'first' }, { name: 'p', description: 'second' }],
        resources: [{ uri: 'x://1', name: 'first' }, { uri: 'x://1', name: 'second' }],
        resourceTemplates: [{ uriTemplate: 'x://{id}', name: 'first' }, { uriTemplate: 'x://{id}', name: 'second' }],
      }),
    );
    expect(mirror.prompts().map((p) => p.definition.description)).toEqual(['first']);
    expect(mirror.prompt('a__p')!.definition.description).toBe('first');
    expect(mirror.resources().map((r) => r.definition.name)).toEqual(['first']);
    expect(mirror.templates().map((t) => t.definition.name)).toEqual(['first']);
    expect(errors.map((e) => e.kind)).toEqual(['prompt', 'resource', 'resource template']);
    expect(errors[0]!.reason).toContain('already published by upstream a');
  });

  it('leaves a public name with the upstream that held it when an upstream listed earlier claims it too, and hands it over once the holder goes', async () => {
    const errors: Array<Record<string, unknown>> = [];
    const log = { error: (obj: Record<string, unknown>) => errors.push(obj), warn: () => undefined } as unknown as Logger;
    // A namer that drops namespaces is what makes two upstreams' names meet.
    const mirror = new PromptResourceMirror({ log, uris: new UriNamespace(['a', 'b'], null), namer: (_u, name) => name, onChange: () => undefined });
    await mirror.refresh(upstream('a', { prompts: [] }));
    await mirror.refresh(upstream('b', { prompts: [{ name: 'p' }] }));
    await mirror.refresh(upstream('a', { prompts: [{ name: 'p' }] }));
    expect(mirror.prompts().map((p) => p.upstream)).toEqual(['b']);
    expect(mirror.prompt('p')!.upstream).toBe('b');
    expect(errors).toEqual([expect.objectContaining({ upstream: 'a', kind: 'prompt', reason: 'p is already published by upstream b' })]);
    mirror.drop('b');
    expect(mirror.prompt('p')!.upstream).toBe('a');
  });

  it('keeps both listings when a prompts and a resources refresh of one upstream overlap', async () => {
    const { mirror } = setup(['a'], null);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = {
      id: 'a',
      info: { capabilities: { prompts: {}, resources: {} } },
      listAll: async (kind: string) => {
        if (kind === 'prompts') {
          await gate;
          return [{ name: 'p' }];
        }
        return kind === 'resources' ? [{ uri: 'x://1' }] : [];
      },
    } as unknown as UpstreamClient;
    const prompts = mirror.refresh(slow, ['prompts']);
    await mirror.refresh(slow, ['resources']);
    release();
    await prompts;
    expect(mirror.prompts().map((p) => p.name)).toEqual(['a__p']);
    expect(mirror.resources().map((r) => r.uri)).toEqual(['a+x://1']);
  });
});

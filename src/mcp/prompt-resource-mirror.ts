/**
 * Prompts, resources and resource templates of every upstream, namespaced like tools and
 * kept current on list_changed. Unlike tools they are not pinned: they carry no code path
 * of their own (reading one is a read-only call routed by the same visibility rules).
 *
 * Like tools, a public name or URI has one owner: an item whose public form would lead to
 * another upstream, or that one already published, is refused (logged once), never
 * silently shadowed. The holder keeps it, whatever order upstreams (re)list in.
 */
import type { Logger } from 'pino';
import type { PromptView, ResourceTemplateView, ResourceView } from './directory-types.js';
import { unprefixedNameProblem } from './registry/tool-names.js';
import type { UriNamespace } from './resource-uris.js';
import type { UpstreamClient } from './upstream/types.js';

interface UpstreamListing {
  prompts: PromptView[];
  resources: ResourceView[];
  templates: ResourceTemplateView[];
}

type ItemKind = 'prompt' | 'resource' | 'resource template';

export type PromptNamer = (upstream: string, name: string) => string;

export class PromptResourceMirror {
  readonly #byUpstream = new Map<string, UpstreamListing>();
  readonly #log: Logger;
  readonly #namer: PromptNamer;
  readonly #onChange: (kind: 'prompts' | 'resources') => void;
  readonly #uris: UriNamespace;
  /** Refusals already logged, per upstream, so a periodic re-list does not repeat them. */
  readonly #reported = new Map<string, Set<string>>();
  #prompts: PromptView[] = [];
  #promptIndex = new Map<string, PromptView>();
  #resources: ResourceView[] = [];
  #resourceIndex = new Map<string, ResourceView>();
  #templates: ResourceTemplateView[] = [];
  #templateIndex = new Map<string, ResourceTemplateView>();

  constructor(opts: { log: Logger; namer: PromptNamer; uris: UriNamespace; onChange: (kind: 'prompts' | 'resources') => void }) {
    this.#log = opts.log;
    this.#uris = opts.uris;
    this.#namer = opts.namer;
    this.#onChange = opts.onChange;
  }

  prompts(): readonly PromptView[] {
    return this.#prompts;
  }
  prompt(name: string): PromptView | undefined {
    return this.#promptIndex.get(name);
  }
  resources(): readonly ResourceView[] {
    return this.#resources;
  }
  templates(): readonly ResourceTemplateView[] {
    return this.#templates;
  }

  /** Re-lists what the upstream offers (its capabilities say which lists exist). */
  async refresh(upstream: UpstreamClient, kinds: ReadonlyArray<'prompts' | 'resources'> = ['prompts', 'resources']): Promise<void> {
    const caps = upstream.info?.capabilities ?? {};
    const id = upstream.id;
    const fresh: Partial<UpstreamListing> = {};
    try {
      if (kinds.includes('prompts')) {
        const items = caps.prompts ? await upstream.listAll('prompts') : [];
        fresh.prompts = items.filter((p) => typeof p.name === 'string' && this.#mayName(id, p.name)).map((p) => this.#prompt(id, p));
      }
      if (kinds.includes('resources')) {
        const items = caps.resources ? await upstream.listAll('resources') : [];
        const templates = caps.resources ? await upstream.listAll('resourceTemplates') : [];
        fresh.resources = items.filter((r) => typeof r.uri === 'string' && this.#mayPublish(id, 'resource', r.uri)).map((r) => resource(this.#uris, id, r));
        fresh.templates = templates
          .filter((t) => typeof t.uriTemplate === 'string' && this.#mayPublish(id, 'resource template', t.uriTemplate))
          .map((t) => template(this.#uris, id, t));
      }
    } catch (err) {
      this.#log.warn({ upstream: id, err: (err as Error).message }, 'listing prompts/resources failed; keeping the previous listing');
      return;
    }
    // Read after the awaits: a prompts and a resources refresh may run at once, and each replaces only its own part.
    this.#byUpstream.set(id, { ...(this.#byUpstream.get(id) ?? { prompts: [], resources: [], templates: [] }), ...fresh });
    this.#rebuild();
    for (const k of kinds) this.#onChange(k);
  }

  /** An upstream that went away (or failed) offers nothing until it is back. */
  drop(upstreamId: string): void {
    if (!this.#byUpstream.delete(upstreamId)) return;
    this.#reported.delete(upstreamId);
    this.#rebuild();
    this.#onChange('prompts');
    this.#onChange('resources');
  }

  #mayName(upstream: string, name: string): boolean {
    const problem = upstream === this.#uris.unprefixed ? unprefixedNameProblem(name) : null;
    if (problem !== null) this.#refuse(upstream, 'prompt', name, problem);
    return problem === null;
  }

  #mayPublish(upstream: string, kind: ItemKind, uri: string): boolean {
    const problem = this.#uris.publishProblem(upstream, uri);
    if (problem !== null) this.#refuse(upstream, kind, uri, problem);
    return problem === null;
  }

  #prompt(upstream: string, p: Record<string, unknown>): PromptView {
    const name = this.#namer(upstream, p.name as string);
    return { name, upstream, upstreamName: p.name as string, definition: Object.freeze({ ...p, name }) };
  }

  #rebuild(): void {
    const all = [...this.#byUpstream.values()];
    [this.#prompts, this.#promptIndex] = this.#unique('prompt', all.flatMap((l) => l.prompts), (p) => p.name, this.#promptIndex);
    [this.#resources, this.#resourceIndex] = this.#unique('resource', all.flatMap((l) => l.resources), (r) => r.uri, this.#resourceIndex);
    [this.#templates, this.#templateIndex] = this.#unique('resource template', all.flatMap((l) => l.templates), (t) => t.uriTemplate, this.#templateIndex);
  }

  /**
   * One item per public key, in listing order. The upstream that held a key before keeps
   * it, so a newcomer cannot take a name over by being listed earlier; otherwise the first
   * listed wins. Every later claimant is refused.
   */
  #unique<T extends { readonly upstream: string }>(kind: ItemKind, items: readonly T[], key: (item: T) => string, before: ReadonlyMap<string, T>): [T[], Map<string, T>] {
    const index = new Map<string, T>();
    for (const item of items) {
      const k = key(item);
      if (!index.has(k) && before.get(k)?.upstream === item.upstream) index.set(k, item);
    }
    for (const item of items) {
      const k = key(item);
      const holder = index.get(k);
      if (holder === undefined) index.set(k, item);
      else if (holder !== item) this.#refuse(item.upstream, kind, k, `${k} is already published by upstream ${holder.upstream}`);
    }
    const kept = new Set(index.values());
    return [items.filter((item) => kept.has(item)), index];
  }

  #refuse(upstream: string, kind: ItemKind, item: string, reason: string): void {
    let seen = this.#reported.get(upstream);
    if (!seen) this.#reported.set(upstream, (seen = new Set()));
    const k = `${kind}\u0000${item}\u0000${reason}`;
    if (seen.has(k)) return;
    seen.add(k);
    this.#log.error({ upstream, kind, item, reason }, `upstream ${kind} refused`);
  }
}

function resource(uris: UriNamespace, upstream: string, r: Record<string, unknown>): ResourceView {
  const uri = uris.toPublic(upstream, r.uri as string);
  return { uri, upstream, upstreamUri: r.uri as string, accessName: uris.accessName(upstream, r.name, r.uri as string), definition: Object.freeze({ ...r, uri }) };
}

function template(uris: UriNamespace, upstream: string, t: Record<string, unknown>): ResourceTemplateView {
  const uriTemplate = uris.toPublic(upstream, t.uriTemplate as string);
  return {
    uriTemplate,
    upstream,
    accessName: uris.accessName(upstream, t.name, t.uriTemplate as string),
    definition: Object.freeze({ ...t, uriTemplate }),
  };
}

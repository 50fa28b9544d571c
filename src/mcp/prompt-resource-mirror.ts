/**
 * Prompts, resources and resource templates of every upstream, namespaced like tools and
 * kept current on list_changed. Unlike tools they are not pinned: they carry no code path
 * of their own (reading one is a read-only call routed by the same visibility rules).
 */
import type { Logger } from 'pino';
import type { PromptView, ResourceTemplateView, ResourceView } from './directory-types.js';
import type { UriNamespace } from './resource-uris.js';
import type { UpstreamClient } from './upstream/types.js';

interface UpstreamListing {
  prompts: PromptView[];
  resources: ResourceView[];
  templates: ResourceTemplateView[];
}

export type PromptNamer = (upstream: string, name: string) => string;

export class PromptResourceMirror {
  readonly #byUpstream = new Map<string, UpstreamListing>();
  readonly #log: Logger;
  readonly #namer: PromptNamer;
  readonly #onChange: (kind: 'prompts' | 'resources') => void;
  #prompts: PromptView[] = [];
  #promptIndex = new Map<string, PromptView>();
  #resources: ResourceView[] = [];
  #templates: ResourceTemplateView[] = [];

  readonly #uris: UriNamespace;

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
    const current = this.#byUpstream.get(upstream.id) ?? { prompts: [], resources: [], templates: [] };
    const next: UpstreamListing = { ...current };
    try {
      if (kinds.includes('prompts')) {
        const items = caps.prompts ? await upstream.listAll('prompts') : [];
        next.prompts = items.filter((p) => typeof p.name === 'string').map((p) => this.#prompt(upstream.id, p));
      }
      if (kinds.includes('resources')) {
        const items = caps.resources ? await upstream.listAll('resources') : [];
        const templates = caps.resources ? await upstream.listAll('resourceTemplates') : [];
        next.resources = items.filter((r) => typeof r.uri === 'string').map((r) => resource(this.#uris, upstream.id, r));
        next.templates = templates.filter((t) => typeof t.uriTemplate === 'string').map((t) => template(this.#uris, upstream.id, t));
      }
    } catch (err) {
      this.#log.warn({ upstream: upstream.id, err: (err as Error).message }, 'listing prompts/resources failed; keeping the previous listing');
      return;
    }
    this.#byUpstream.set(upstream.id, next);
    this.#rebuild();
    for (const k of kinds) this.#onChange(k);
  }

  /** An upstream that went away (or failed) offers nothing until it is back. */
  drop(upstreamId: string): void {
    if (!this.#byUpstream.delete(upstreamId)) return;
    this.#rebuild();
    this.#onChange('prompts');
    this.#onChange('resources');
  }

  #prompt(upstream: string, p: Record<string, unknown>): PromptView {
    const name = this.#namer(upstream, p.name as string);
    return { name, upstream, upstreamName: p.name as string, definition: Object.freeze({ ...p, name }) };
  }

  #rebuild(): void {
    const all = [...this.#byUpstream.values()];
    this.#prompts = all.flatMap((l) => l.prompts);
    this.#promptIndex = new Map(this.#prompts.map((p) => [p.name, p]));
    this.#resources = all.flatMap((l) => l.resources);
    this.#templates = all.flatMap((l) => l.templates);
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

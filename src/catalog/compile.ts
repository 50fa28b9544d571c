/** Turns validated agent files into the frozen, shareable catalog the request path reads. */
import { basename } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';
import { deepFreeze } from '../config/load.js';
import type { Secret } from '../config/secret-ref.js';
import { POLICY_SECTIONS, type AgentSpec, type PolicySection } from './agent-schema.js';
import { canonicalJson } from '../util/canonical-json.js';
import { sha256Hex } from '../util/sha256.js';
import { ImmutableMap } from './immutable-map.js';

/** Read-only view of plain data, matching the runtime deep freeze. */
export type DeepReadonly<T> = T extends ReadonlyArray<infer U>
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/**
 * One catalog agent: the validated file (defaults applied) plus where it came from and its
 * resolved credentials. Secrets print as `[secret]` everywhere; call `reveal()` to use one.
 */
export type Agent = DeepReadonly<AgentSpec> & {
  /** Absolute path of the agent's file. */
  readonly file: string;
  /** Resolved credentials keyed by field path, e.g. `a2a.endpoint.credential`. */
  readonly secrets: ReadonlyMap<string, Secret>;
};

/** An immutable catalog snapshot. Requests hold one reference from start to end. */
export interface Catalog {
  readonly agents: ReadonlyMap<string, Agent>;
  /** 1 for the first load of a store; +1 for every change it applies. */
  readonly version: number;
  /** sha256 of the canonical content (parsed specs with defaults, and file names); comments and key order do not count. */
  readonly digest: string;
  /** Milliseconds since the epoch. */
  readonly loadedAt: number;
  /** Absolute paths of the agent files, sorted. */
  readonly files: readonly string[];
}

/** One issue-free agent file. */
export interface CompileInput {
  file: string;
  spec: AgentSpec;
  secrets: ReadonlyMap<string, Secret>;
}

/** Stamps and the enforcement set for one compilation. */
export interface CompileOptions {
  version: number;
  loadedAt: number;
  enforced: ReadonlySet<PolicySection>;
}

/** The warning for a declared section that this gateway version does not enforce. */
export const NOT_ENFORCED_MESSAGE = 'declared but not enforced by this gateway version';

const hasGlob = (s: string) => s.includes('*') || s.includes('?');

/** The content one agent contributes to the digest and to change detection. */
export function agentContent(agent: { file: string; spec: AgentSpec } | Agent): string {
  if ('spec' in agent) return canonicalJson({ file: basename(agent.file), spec: agent.spec });
  const { file, secrets: _secrets, ...spec } = agent;
  return canonicalJson({ file: basename(file), spec });
}

/** Builds the frozen catalog and the warnings it deserves. Callers pass only issue-free files. */
export function compileCatalog(inputs: readonly CompileInput[], opts: CompileOptions): { catalog: Catalog; warnings: ConfigIssue[] } {
  const sorted = [...inputs].sort((a, b) => (a.spec.id < b.spec.id ? -1 : a.spec.id > b.spec.id ? 1 : 0));
  const ids = new Set(sorted.map((i) => i.spec.id));
  const warnings: ConfigIssue[] = [];

  for (const { file, spec } of sorted) {
    for (const section of POLICY_SECTIONS) {
      if (spec[section] !== undefined && !opts.enforced.has(section)) warnings.push({ file, path: section, message: NOT_ENFORCED_MESSAGE });
    }
    // Unknown agents are warnings, not errors: deleting one agent must not make every
    // agent that mentions it invalid (the reload would be refused and the delete never apply).
    for (const list of ['canCall', 'callableBy'] as const) {
      spec.a2a?.[list].forEach((target, i) => {
        if (!hasGlob(target) && !ids.has(target)) warnings.push({ file, path: `a2a.${list}[${i}]`, message: `no agent "${target}" in the catalog` });
      });
    }
  }

  const agents = sorted.map(({ file, spec, secrets }): [string, Agent] => {
    const agent = deepFreeze({ ...spec, file, secrets: new ImmutableMap(secrets) }) as Agent;
    return [spec.id, agent];
  });
  const digest = sha256Hex(`[${sorted.map((i) => agentContent(i)).join(',')}]`);
  const catalog: Catalog = Object.freeze({
    agents: new ImmutableMap(agents),
    version: opts.version,
    digest,
    loadedAt: opts.loadedAt,
    files: Object.freeze(sorted.map((i) => i.file).sort()),
  });
  return { catalog, warnings };
}

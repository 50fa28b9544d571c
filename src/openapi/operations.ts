/**
 * The operations of a dereferenced spec that become tools: selected by the sidecar's
 * include/exclude, named, classed and described. Everything here depends only on the
 * operation itself (and its siblings, for name collisions), never on iteration order.
 */
import { createHash } from 'node:crypto';
import { compileGlob } from '../catalog/glob.js';
import type { RiskClass } from '../mcp/registry/risk-class.js';
import type { HttpMethod } from './plan.js';
import type { ImportSidecar, OperationOverride, OperationSelection } from './sidecar-schema.js';
import { isObject } from '../util/is-object.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
type LowerMethod = (typeof METHODS)[number];

const MAX_DESCRIPTION_CHARS = 2_000;

export interface SpecOperation {
  /** `METHOD /path` as in the spec: the stable key of an operation (sidecar overrides, dispatch). */
  key: string;
  method: HttpMethod;
  pathTemplate: string;
  operationId: string | null;
  /** Tool name without the namespace: unique within the import (case-insensitively). */
  toolName: string;
  description: string;
  risk: RiskClass;
  annotations: Record<string, unknown>;
  override: OperationOverride | undefined;
  operation: Record<string, unknown>;
  pathItemParameters: unknown[];
  /** The path item declares its own servers (another origin for all its operations). */
  pathItemHasServers: boolean;
}

/** Operations of the document in spec order, after include/exclude; `warnings` names what was left out and why. */
export function selectOperations(document: Record<string, unknown>, sidecar: Pick<ImportSidecar, 'include' | 'exclude' | 'operations'>): { operations: SpecOperation[]; warnings: string[] } {
  const warnings: string[] = [];
  const found: Array<Omit<SpecOperation, 'toolName'> & { baseName: string }> = [];
  const include = sidecar.include ? selector(sidecar.include) : null;
  const exclude = sidecar.exclude ? selector(sidecar.exclude) : null;
  const paths = isObject(document.paths) ? document.paths : {};
  const usedOverrides = new Set<string>();
  for (const [pathTemplate, item] of Object.entries(paths)) {
    if (!isObject(item)) continue;
    const pathItemParameters = Array.isArray(item.parameters) ? item.parameters : [];
    const pathItemHasServers = Array.isArray(item.servers) && item.servers.length > 0;
    for (const m of METHODS) {
      const operation = item[m];
      if (!isObject(operation)) continue;
      const method = m.toUpperCase() as HttpMethod;
      const key = `${method} ${pathTemplate}`;
      const operationId = typeof operation.operationId === 'string' && operation.operationId.trim() !== '' ? operation.operationId : null;
      const tags = Array.isArray(operation.tags) ? operation.tags.filter((t): t is string => typeof t === 'string') : [];
      const facts = { method: m, pathTemplate, operationId, key, tags };
      if (include && !include(facts)) continue;
      if (exclude && exclude(facts)) continue;
      // Own keys only: an operationId such as `constructor` must not find Object.prototype's.
      const overrides = sidecar.operations;
      const overrideKey = operationId !== null && Object.hasOwn(overrides, operationId) ? operationId : Object.hasOwn(overrides, key) ? key : null;
      if (overrideKey !== null) usedOverrides.add(overrideKey);
      const override = overrideKey === null ? undefined : sidecar.operations[overrideKey];
      const risk = override?.risk ?? riskOfMethod(method);
      found.push({
        key,
        method,
        pathTemplate,
        operationId,
        baseName: override?.name ?? sanitizeName(operationId ?? `${m}_${pathTemplate}`),
        description: override?.description ?? describe(operation, key),
        risk,
        annotations: annotationsFor(method, risk, operation),
        override,
        operation,
        pathItemParameters,
        pathItemHasServers,
      });
    }
  }
  for (const k of Object.keys(sidecar.operations)) {
    if (!usedOverrides.has(k)) warnings.push(`operations.${k}: no selected operation has this operationId or "METHOD /path" key`);
  }
  return { operations: disambiguate(found), warnings };
}

/** `[A-Za-z0-9_-]` only, runs of anything else become one `_`; never empty. */
export function sanitizeName(raw: string): string {
  const s = raw
    .replace(/[{}]/g, '')
    .replace(/[^A-Za-z0-9_-]+/g, '_')
    .replace(/_{2,}/g, '_')
    .replace(/^[_-]+|[_-]+$/g, '');
  return s === '' ? 'operation' : s;
}

/**
 * Names equal but for case (gitea: userGetOauth2Application / userGetOAuth2Application)
 * would confuse clients that fold case: every member of such a group gets a short hash of its
 * own `METHOD /path`, so a name never depends on which sibling exists or came first.
 */
function disambiguate(found: Array<Omit<SpecOperation, 'toolName'> & { baseName: string }>): SpecOperation[] {
  const groups = new Map<string, number>();
  for (const f of found) groups.set(f.baseName.toLowerCase(), (groups.get(f.baseName.toLowerCase()) ?? 0) + 1);
  return found.map(({ baseName, ...rest }) => ({
    ...rest,
    toolName: (groups.get(baseName.toLowerCase()) ?? 0) > 1 ? `${baseName}_${shortHash(rest.key)}` : baseName,
  }));
}

function shortHash(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex').slice(0, 8);
}

export function riskOfMethod(method: HttpMethod): RiskClass {
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS' || method === 'TRACE') return 'read-only';
  if (method === 'DELETE') return 'destructive';
  return 'write';
}

/**
 * Hints the gateway can vouch for, because it derived them from the HTTP method (or the
 * operator set the class): PUT and DELETE are idempotent by HTTP's definition; every API is
 * an open world.
 */
function annotationsFor(method: HttpMethod, risk: RiskClass, operation: Record<string, unknown>): Record<string, unknown> {
  const summary = typeof operation.summary === 'string' ? operation.summary.trim() : '';
  return {
    ...(summary !== '' ? { title: summary.slice(0, 200) } : {}),
    readOnlyHint: risk === 'read-only',
    destructiveHint: risk === 'destructive',
    idempotentHint: risk === 'read-only' || method === 'PUT' || method === 'DELETE',
    openWorldHint: true,
  };
}

function describe(operation: Record<string, unknown>, key: string): string {
  const parts = [operation.summary, operation.description].filter((p): p is string => typeof p === 'string' && p.trim() !== '').map((p) => p.trim());
  // Many specs repeat the summary as the description's first line.
  if (parts.length === 2 && (parts[1] === parts[0] || parts[1]!.startsWith(`${parts[0]!}\n`))) parts.shift();
  const text = parts.join('\n\n') || key;
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}

interface OperationFacts {
  method: LowerMethod;
  pathTemplate: string;
  operationId: string | null;
  key: string;
  tags: string[];
}

function selector(sel: OperationSelection): (op: OperationFacts) => boolean {
  const paths = sel.paths?.map(compileGlob);
  const ops = sel.operations?.map((o) => (/^[A-Z]+ \//.test(o) ? { key: o } : { re: compileGlob(o) }));
  return (op) =>
    (sel.tags === undefined || sel.tags.some((t) => op.tags.includes(t))) &&
    (paths === undefined || paths.some((re) => re.test(op.pathTemplate))) &&
    (sel.methods === undefined || sel.methods.includes(op.method)) &&
    (ops === undefined || ops.some((o) => ('key' in o ? o.key === op.key : op.operationId !== null && o.re.test(op.operationId))));
}

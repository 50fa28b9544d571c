import { canonicalJsonWithin } from '../../util/canonical-json.js';
import { sha256Hex } from '../../util/sha256.js';
import { excerpt, makeVisible } from './visible-text.js';

/**
 * Pinning a tool: SHA-256 over the canonical JSON (sorted keys, see util/canonical-json.ts)
 * of the tool's WHOLE definition as the upstream listed it: name, title, description,
 * inputSchema, outputSchema, annotations, icons, execution, `_meta` and any field a later
 * revision adds.
 *
 * `_meta` is included on purpose. The gateway forwards it to clients, and hosts act on it
 * (MCP Apps read the UI resource a tool renders from `_meta`), so swapping it after approval
 * is a rug pull like any other. An upstream that puts volatile data in `_meta` gets its
 * tools re-quarantined on every change; configure it `autoApprove` if it is trusted.
 * Unknown fields are included for the same reason: whatever is forwarded is pinned.
 */

/** Definitions nest at most this deep (the canonical encoder would stop distinguishing deeper values). */
export const MAX_DEFINITION_DEPTH = 24;
/** Longest canonical definition accepted. */
export const MAX_DEFINITION_CHARS = 512 * 1024;

export type HashResult = { ok: true; canonical: string; hash: string } | { ok: false; reason: string };

/** The canonical text and its hex SHA-256, or why the definition cannot be pinned. */
export function hashDefinition(definition: Record<string, unknown>): HashResult {
  if (nestsDeeperThan(definition, MAX_DEFINITION_DEPTH)) return { ok: false, reason: `definition nests deeper than ${MAX_DEFINITION_DEPTH} levels` };
  const canonical = canonicalJsonWithin(definition, MAX_DEFINITION_CHARS);
  if (canonical === null) return { ok: false, reason: `definition is larger than ${MAX_DEFINITION_CHARS} characters` };
  return { ok: true, canonical, hash: sha256Hex(canonical) };
}

function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** One difference between two definitions. Values are rendered (JSON, hidden characters made visible) and clipped. */
export interface DefinitionChange {
  /** JSON Pointer (RFC 6901) into the definition. */
  path: string;
  kind: 'added' | 'removed' | 'changed';
  old?: string;
  new?: string;
}

export interface DefinitionDiff {
  changes: DefinitionChange[];
  /** Changes left out beyond the limit. */
  omitted: number;
}

const MAX_CHANGES = 40;
const MAX_VALUE_CHARS = 200;

/**
 * What changed between two versions of a definition, for the audit record and the approver:
 * a list of JSON Pointer paths with clipped old/new values. Changed strings are shown around
 * their first difference, so an edit deep inside a long description is visible.
 */
export function diffDefinitions(oldDef: unknown, newDef: unknown, maxChanges = MAX_CHANGES): DefinitionDiff {
  const changes: DefinitionChange[] = [];
  let omitted = 0;
  const push = (c: DefinitionChange): void => {
    if (changes.length < maxChanges) changes.push(c);
    else omitted++;
  };
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (a === b) return;
    if (isContainer(a) && isContainer(b) && Array.isArray(a) === Array.isArray(b)) {
      const ra = a as Record<string, unknown>;
      const rb = b as Record<string, unknown>;
      const keys = Array.isArray(a)
        ? Array.from({ length: Math.max((a as unknown[]).length, (b as unknown[]).length) }, (_, i) => String(i))
        : [...new Set([...Object.keys(ra), ...Object.keys(rb)])].sort();
      for (const k of keys) {
        const child = `${path}/${escapePointer(k)}`;
        if (!Object.hasOwn(ra, k)) push({ path: child, kind: 'added', new: render(rb[k]) });
        else if (!Object.hasOwn(rb, k)) push({ path: child, kind: 'removed', old: render(ra[k]) });
        else walk(ra[k], rb[k], child);
      }
      return;
    }
    if (typeof a === 'string' && typeof b === 'string') {
      const [oa, ob] = aroundFirstDifference(a, b);
      push({ path, kind: 'changed', old: oa, new: ob });
      return;
    }
    if (JSON.stringify(a) === JSON.stringify(b)) return;
    push({ path, kind: 'changed', old: render(a), new: render(b) });
  };
  walk(oldDef, newDef, '');
  return { changes, omitted };
}

const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

function escapePointer(key: string): string {
  return makeVisible(key.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function render(v: unknown): string {
  const text = JSON.stringify(v) ?? 'undefined';
  return excerpt(text, 0, 0, MAX_VALUE_CHARS);
}

/** Both strings (made visible), clipped to a window that starts a little before their first difference. */
function aroundFirstDifference(a: string, b: string): [string, string] {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  const from = Math.max(0, i - 40);
  const clip = (s: string): string => {
    const window = s.slice(from, from + MAX_VALUE_CHARS);
    return (from > 0 ? '…' : '') + makeVisible(window) + (from + MAX_VALUE_CHARS < s.length ? '…' : '');
  };
  return [clip(a), clip(b)];
}

import { agentContent, type Agent, type Catalog } from './compile.js';

/** Agent ids that appeared, disappeared or changed between two catalogs (each sorted). */
export interface CatalogDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

function sameSecrets(a: Agent, b: Agent): boolean {
  if (a.secrets.size !== b.secrets.size) return false;
  for (const [path, secret] of a.secrets) {
    const other = b.secrets.get(path);
    if (!other || other.reveal() !== secret.reveal()) return false;
  }
  return true;
}

/**
 * Compares two catalogs agent by agent. A rotated credential (same reference, new value)
 * counts as a change, so the new secret is picked up even though the files are identical.
 */
export function diffCatalogs(prev: Catalog, next: Catalog): CatalogDiff {
  const diff: CatalogDiff = { added: [], removed: [], changed: [] };
  for (const [id, agent] of next.agents) {
    const old = prev.agents.get(id);
    if (!old) diff.added.push(id);
    else if (agentContent(old) !== agentContent(agent) || !sameSecrets(old, agent)) diff.changed.push(id);
  }
  for (const id of prev.agents.keys()) if (!next.agents.has(id)) diff.removed.push(id);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}

/** True when nothing was added, removed or changed. */
export function isEmptyDiff(diff: CatalogDiff): boolean {
  return diff.added.length === 0 && diff.removed.length === 0 && diff.changed.length === 0;
}

/**
 * Line/column lookup for issues of YAML files (catalog files, warden.yaml). The happy path never comes here: a file is only
 * parsed a second time, with a line counter, when it already has problems to report.
 */
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { formatPath, type ConfigIssue } from './issues.js';

// Must match config/load.ts parseYaml, so the errors come out in the same order.
const PARSE_OPTIONS = { uniqueKeys: false, merge: false } as const;

function parseWithLines(text: string): { doc: Document; lines: LineCounter } {
  const lines = new LineCounter();
  return { doc: parseDocument(text, { ...PARSE_OPTIONS, lineCounter: lines }), lines };
}

const at = (lines: LineCounter, offset: number): string => {
  const { line, col } = lines.linePos(offset);
  return `line ${line}, column ${col}`;
};

/** Finds the key and value nodes at a data path (either may be missing). */
function nodesAt(doc: Document, path: ReadonlyArray<PropertyKey>): { key?: unknown; value?: unknown } {
  let value: unknown = doc.contents;
  let key: unknown;
  for (const seg of path) {
    if (isMap(value)) {
      const pair = value.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) return {};
      key = pair.key;
      value = pair.value;
    } else if (isSeq(value) && typeof seg === 'number') {
      key = undefined;
      value = value.items[seg];
    } else {
      return {};
    }
  }
  return { key, value };
}

function rangeStart(node: unknown): number | undefined {
  if (node && typeof node === 'object' && 'range' in node) {
    const range = (node as { range?: [number, number, number] | null }).range;
    return range ? range[0] : undefined;
  }
  return undefined;
}

/**
 * Appends "(line L, column C)" to schema issues whose node exists in the file. Issues are
 * matched by their formatted path, so this stays correct however issuesFromZod orders them.
 */
export function addSchemaPositions(text: string, error: z.ZodError, issues: ConfigIssue[]): ConfigIssue[] {
  const { doc, lines } = parseWithLines(text);
  const where = new Map<string, string>();
  const note = (path: ReadonlyArray<PropertyKey>, preferKey: boolean) => {
    const nodes = nodesAt(doc, path);
    const offset = preferKey ? (rangeStart(nodes.key) ?? rangeStart(nodes.value)) : (rangeStart(nodes.value) ?? rangeStart(nodes.key));
    if (offset !== undefined) where.set(formatPath(path), at(lines, offset));
  };
  for (const zi of error.issues) {
    if (zi.code === 'unrecognized_keys') for (const k of zi.keys) note([...zi.path, k], true);
    else note(zi.path, zi.code === 'invalid_key');
  }
  return issues.map((i) => {
    const loc = where.get(i.path);
    return loc ? { ...i, message: `${i.message} (${loc})` } : i;
  });
}

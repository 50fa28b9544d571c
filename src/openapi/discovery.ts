/**
 * Discovery mode for large APIs: instead of one listed tool per operation, an import offers
 * two, `find_operations` (search by words, answers with names and input schemas) and
 * `call_operation` (runs one by name). The operations stay registered as tools of their own,
 * unlisted: each is still pinned, approved, authorized for the agent under its own name and
 * risk class (the gateway re-aims the call at it before the policy chain runs) and audited.
 */
import type { ToolView } from '../mcp/directory-types.js';

export const FIND_TOOL = 'find_operations';
export const CALL_TOOL = 'call_operation';
export const META_TOOLS: ReadonlySet<string> = new Set([FIND_TOOL, CALL_TOOL]);
const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 25;

export interface DiscoverableOperation {
  /** Public (namespaced) name. */
  publicName: string;
  name: string;
  key: string;
  description: string;
  risk: string;
  inputSchema: unknown;
  /** Lower-case text searched: name, method and path, description. */
  haystack: { name: string; key: string; description: string };
}

const FIND_INPUT = {
  type: 'object',
  properties: {
    query: { type: 'string', minLength: 1, maxLength: 200, description: 'Words to look for in operation names, paths and descriptions' },
    limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT, description: 'Most operations to return' },
  },
  required: ['query'],
  additionalProperties: false,
};
const CALL_INPUT = {
  type: 'object',
  properties: {
    operation: { type: 'string', minLength: 1, maxLength: 200, description: `An operation name returned by ${FIND_TOOL}` },
    arguments: { type: 'object', description: 'The operation\'s arguments', default: {} },
  },
  required: ['operation'],
  additionalProperties: false,
};
/** The discovery tools' own input schemas, checked before they run. */
export const FIND_ARGUMENTS: object = FIND_INPUT;
export const CALL_ARGUMENTS: object = CALL_INPUT;

export function discoveryDefinitions(apiTitle: string, operationCount: number, worst: { destructive: boolean; readOnly: boolean }): Record<string, unknown>[] {
  const what = apiTitle ? `the ${apiTitle} API` : 'this API';
  return [
    {
      name: FIND_TOOL,
      description: `Search the ${operationCount} operations of ${what} by keywords. Returns matching operations with their names, descriptions and input schemas; call one with ${CALL_TOOL}.`,
      inputSchema: FIND_INPUT,
      annotations: { title: `Find operations of ${what}`.slice(0, 200), readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    },
    {
      name: CALL_TOOL,
      description: `Call one operation of ${what} found with ${FIND_TOOL}: give its name and its arguments (as its input schema describes).`,
      inputSchema: CALL_INPUT,
      // What the operations behind it may do: a client must not auto-run it as harmless.
      annotations: { title: `Call an operation of ${what}`.slice(0, 200), readOnlyHint: worst.readOnly, destructiveHint: worst.destructive, idempotentHint: false, openWorldHint: true },
    },
  ];
}

/** Operations matching the query that the agent may call, best first. */
export function findOperations(ops: readonly DiscoverableOperation[], args: Record<string, unknown>, visible: (publicName: string) => ToolView | undefined): Record<string, unknown> {
  const words = String(args.query ?? '')
    .slice(0, 200)
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0)
    .slice(0, 20);
  const limit = typeof args.limit === 'number' && Number.isInteger(args.limit) ? Math.min(MAX_LIMIT, Math.max(1, args.limit)) : DEFAULT_LIMIT;
  const scored: Array<{ op: DiscoverableOperation; score: number }> = [];
  for (const op of ops) {
    let score = 0;
    for (const w of words) score += (op.haystack.name.includes(w) ? 3 : 0) + (op.haystack.key.includes(w) ? 2 : 0) + (op.haystack.description.includes(w) ? 1 : 0);
    if (score === 0) continue;
    const view = visible(op.publicName);
    if (!view || view.status !== 'approved') continue;
    scored.push({ op, score });
  }
  scored.sort((a, b) => b.score - a.score || (a.op.publicName < b.op.publicName ? -1 : 1));
  const operations = scored.slice(0, limit).map(({ op }) => ({ name: op.publicName, operation: op.key, risk: op.risk, description: op.description, inputSchema: op.inputSchema }));
  const structured = { operations, matched: scored.length };
  return { content: [{ type: 'text', text: JSON.stringify(structured) }], structuredContent: structured };
}

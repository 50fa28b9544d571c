/**
 * The minimum an upstream's tool must look like before the registry takes it: the fields
 * clients rely on have the types the MCP schema gives them. Anything else in the object is
 * kept (and pinned) as the upstream sent it.
 */

/** Upstream tool names longer than this are refused (they are shortened for clients anyway). */
export const MAX_UPSTREAM_TOOL_NAME = 512;

/** Null when the tool is acceptable, else why not. */
export function invalidToolReason(tool: unknown): string | null {
  if (!isObject(tool)) return 'a tool must be an object';
  if (typeof tool.name !== 'string' || tool.name.length === 0) return '"name" must be a non-empty string';
  if (tool.name.length > MAX_UPSTREAM_TOOL_NAME) return `"name" is longer than ${MAX_UPSTREAM_TOOL_NAME} characters`;
  if (!isObject(tool.inputSchema) || tool.inputSchema.type !== 'object') return '"inputSchema" must be an object schema ({"type": "object", ...})';
  if (tool.outputSchema !== undefined && (!isObject(tool.outputSchema) || tool.outputSchema.type !== 'object')) {
    return '"outputSchema" must be an object schema when present';
  }
  for (const field of ['title', 'description'] as const) {
    if (tool[field] !== undefined && typeof tool[field] !== 'string') return `"${field}" must be a string when present`;
  }
  if (tool.annotations !== undefined && !isObject(tool.annotations)) return '"annotations" must be an object when present';
  if (tool._meta !== undefined && !isObject(tool._meta)) return '"_meta" must be an object when present';
  return null;
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Freezes a JSON value in place, so entries handed to request handlers cannot be changed by them. */
export function deepFreeze<T>(value: T): T {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null || Object.isFrozen(v)) continue;
    Object.freeze(v);
    for (const child of Object.values(v)) stack.push(child);
  }
  return value;
}

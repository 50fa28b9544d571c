/**
 * Resource URIs inside results (resource links, embedded resources) are the upstream's
 * own; agents see public URIs everywhere, so a link they follow comes back to the same
 * upstream through the gateway (and its visibility rules).
 */
import type { UriNamespace } from '../resource-uris.js';

function rewriteBlock(block: unknown, upstream: string, uris: UriNamespace): unknown {
  if (block === null || typeof block !== 'object') return block;
  const b = block as Record<string, unknown>;
  if (b.type === 'resource_link' && typeof b.uri === 'string') return { ...b, uri: uris.toPublic(upstream, b.uri) };
  if (b.type === 'resource' && b.resource !== null && typeof b.resource === 'object') {
    const r = b.resource as Record<string, unknown>;
    if (typeof r.uri === 'string') return { ...b, resource: { ...r, uri: uris.toPublic(upstream, r.uri) } };
  }
  return block;
}

/** tools/call: `content` blocks. */
export function publicizeToolResult(result: Record<string, unknown>, upstream: string, uris: UriNamespace): void {
  if (Array.isArray(result.content)) result.content = result.content.map((b) => rewriteBlock(b, upstream, uris));
}

/** prompts/get: each message's `content` block. */
export function publicizePromptResult(result: Record<string, unknown>, upstream: string, uris: UriNamespace): void {
  if (!Array.isArray(result.messages)) return;
  result.messages = result.messages.map((m: unknown) =>
    m !== null && typeof m === 'object' && 'content' in m ? { ...(m as Record<string, unknown>), content: rewriteBlock((m as { content: unknown }).content, upstream, uris) } : m,
  );
}

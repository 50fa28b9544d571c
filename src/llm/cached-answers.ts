/**
 * The exact-match response cache as the forward step uses it: opt-in per agent
 * (`models.cache`) or per alias (`cache`), keyed over the normalized request and a scope of
 * owner, data clearance and the agent's cache label (its id unless it names a shared one),
 * so no answer crosses tenants or clearances. A hit costs nothing, is served as JSON or
 * replayed as a stream, and is audited like any other answer.
 */
import type { ServerResponse } from 'node:http';
import type { Agent } from '../catalog/index.js';
import { cacheKey, isCacheable, type CachedAnswer, type ResponseCache } from './cache/index.js';
import type { Route } from './model-directory.js';
import type { LlmRequest } from './request-body.js';
import { chatCompletionToSse, responseToSse } from './stream/replay.js';

export interface CacheSlot {
  key: string;
  ttlMs: number;
}

/** The cache entry this request reads and fills, or null when caching is off for it. */
export function cacheSlot(cache: ResponseCache | null, agent: Agent, route: Route, req: LlmRequest): CacheSlot | null {
  if (!cache) return null;
  const agentTtl = agent.models?.cache ? agent.models.cache.ttlSeconds * 1000 : undefined;
  // Both set: the shorter wins (either party may want answers fresher).
  const ttlMs = agentTtl !== undefined && route.cacheTtlMs !== undefined ? Math.min(agentTtl, route.cacheTtlMs) : (agentTtl ?? route.cacheTtlMs);
  if (ttlMs === undefined || !isCacheable(req.endpoint, req.body as Record<string, unknown>)) return null;
  const key = cacheKey({
    endpoint: req.endpoint,
    model: route.name,
    body: req.body as Record<string, unknown>,
    outputLimit: req.enforcedOutputLimit,
    scope: { owner: agent.owner, clearance: agent.dataExposure?.clearance ?? 'internal', label: agent.models?.cache?.scope ?? `agent:${agent.id}` },
  });
  return key === undefined ? null : { key, ttlMs };
}

/**
 * Writes a hit as a stream (head and every event but the last) and returns the held-back
 * last event, which the surface writes once the audit record is committed.
 */
export function replayHit(hit: CachedAnswer, req: LlmRequest, res: ServerResponse, headers: Record<string, string>): Buffer {
  return replayAsStream(hit.json, req, res, headers);
}

/** A whole answer (a cache hit, or a provider's JSON answer to a stream request) written as the stream the client asked for. */
export function replayAsStream(json: object, req: LlmRequest, res: ServerResponse, headers: Record<string, string>): Buffer {
  const sse = req.endpoint === 'chat' ? chatCompletionToSse(json, { includeUsage: req.clientWantsUsage }) : responseToSse(json);
  // Events end with a blank line: the last one starts after the blank line before it.
  const cut = sse.lastIndexOf('\n\n', sse.length - 3) + 2;
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no', ...headers });
  res.write(sse.subarray(0, cut));
  return sse.subarray(cut);
}

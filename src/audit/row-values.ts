import type { AuditRow, ContentHalves } from './chain.js';

/**
 * A normalized row as the values of FIELDS, in FIELDS order, then its content halves
 * (contentHalves: the hashed text around the seq): how the gateway's thread hands rows to the
 * audit writer thread. A dense array of strings and numbers is cloned across the thread
 * boundary much faster than an object (whose every key is written and re-added on the other
 * side) or JSON text re-parsed there, and the writer commits it without further work.
 */
export type RowValues = ReadonlyArray<string | number | null>;

/** Spelled out in FIELDS order (row-values.test.ts pins the two together): once per record. */
export function rowValues(r: AuditRow, halves: ContentHalves): RowValues {
  return [
    r.time, r.requestId, r.traceId, r.parentId, r.agentId, r.keyId, r.channel, r.action, r.target,
    r.decision, r.policy, r.code, r.reason, r.status, r.latencyMs, r.tokensIn, r.tokensOut, r.costUsd,
    r.requestDigest, r.responseDigest, r.requestBytes, r.responseBytes, r.redactions, r.path, r.details,
    halves[0], halves[1],
  ];
}

/** The row of values that rowValues made. */
export function rowFromValues(v: RowValues): AuditRow {
  return {
    time: v[0] as number,
    requestId: v[1] as string,
    traceId: v[2] as string | null,
    parentId: v[3] as string | null,
    agentId: v[4] as string | null,
    keyId: v[5] as string | null,
    channel: v[6] as string,
    action: v[7] as string,
    target: v[8] as string | null,
    decision: v[9] as string,
    policy: v[10] as string | null,
    code: v[11] as string | null,
    reason: v[12] as string | null,
    status: v[13] as number | null,
    latencyMs: v[14] as number | null,
    tokensIn: v[15] as number | null,
    tokensOut: v[16] as number | null,
    costUsd: v[17] as number | null,
    requestDigest: v[18] as string | null,
    responseDigest: v[19] as string | null,
    requestBytes: v[20] as number | null,
    responseBytes: v[21] as number | null,
    redactions: v[22] as string | null,
    path: v[23] as string | null,
    details: v[24] as string | null,
  };
}

/** The content halves of values that rowValues made (null without them: the writer makes them). */
export function halvesFromValues(v: RowValues): ContentHalves | null {
  return typeof v[25] === 'string' && typeof v[26] === 'string' ? [v[25], v[26]] : null;
}

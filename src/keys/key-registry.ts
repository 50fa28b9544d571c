import { timingSafeEqual } from 'node:crypto';
import type { StateStore, KeyRow } from '../state/state-store.js';
import { digestKey, generateKey, parseKey } from './key-format.js';

export type KeyCheck =
  | { ok: true; keyId: string; agentId: string }
  | { ok: false; reason: 'malformed' | 'unknown' | 'mismatch' | 'revoked' | 'expired'; keyId: string | null };

interface CachedKey {
  agentId: string;
  digest: Buffer;
  expiresAt: number | null;
  revokedAt: number | null;
}

/**
 * In-memory index of agent keys, so authentication never touches the disk on the request
 * path. It mirrors the state store and reloads whenever the store's data version changes
 * (the CLI may change keys while the gateway runs), so a revocation takes effect within
 * one poll interval; revocations made through this registry apply at once.
 */
export class KeyRegistry {
  readonly #store: StateStore;
  #keys = new Map<string, CachedKey>();
  #lastUsed = new Map<string, number>();

  constructor(store: StateStore) {
    this.#store = store;
    this.reload();
  }

  reload(): void {
    const next = new Map<string, CachedKey>();
    for (const row of this.#store.listKeys()) next.set(row.keyId, toCached(row));
    this.#keys = next;
  }

  /**
   * Looks the key up by its embedded id, then compares fixed-size SHA-256 digests in
   * constant time. The reason is for the audit trail only; clients get one answer.
   */
  check(presented: string, now: number): KeyCheck {
    const parsed = parseKey(presented);
    if (!parsed) return { ok: false, reason: 'malformed', keyId: null };
    const cached = this.#keys.get(parsed.keyId);
    const presentedDigest = Buffer.from(digestKey(presented), 'hex');
    // Compare even for unknown ids, against a dummy digest, to keep timing uniform.
    const equal = timingSafeEqual(presentedDigest, cached?.digest ?? DUMMY_DIGEST);
    if (!cached) return { ok: false, reason: 'unknown', keyId: parsed.keyId };
    if (!equal) return { ok: false, reason: 'mismatch', keyId: parsed.keyId };
    if (cached.revokedAt !== null) return { ok: false, reason: 'revoked', keyId: parsed.keyId };
    if (cached.expiresAt !== null && cached.expiresAt <= now) return { ok: false, reason: 'expired', keyId: parsed.keyId };
    this.#lastUsed.set(parsed.keyId, now);
    return { ok: true, keyId: parsed.keyId, agentId: cached.agentId };
  }

  /** Whether a key id is still usable (open MCP streams are re-checked with this). */
  isActive(keyId: string, now: number): boolean {
    const k = this.#keys.get(keyId);
    return k !== undefined && k.revokedAt === null && (k.expiresAt === null || k.expiresAt > now);
  }

  /** Keys that are neither revoked nor expired, per agent (admin views; no disk read). */
  activeCounts(now: number): Map<string, number> {
    const counts = new Map<string, number>();
    for (const k of this.#keys.values()) {
      if (k.revokedAt !== null || (k.expiresAt !== null && k.expiresAt <= now)) continue;
      counts.set(k.agentId, (counts.get(k.agentId) ?? 0) + 1);
    }
    return counts;
  }

  /** Creates a key; the returned `key` is shown once and never stored. */
  create(agentId: string, opts: { label?: string | null; expiresAt?: number | null; now: number }): { key: string; row: KeyRow } {
    const row = createKeyRow(this.#store, agentId, opts);
    this.#keys.set(row.row.keyId, toCached(row.row));
    return row;
  }

  revoke(keyId: string, now: number): boolean {
    const done = this.#store.revokeKey(keyId, now);
    const cached = this.#keys.get(keyId);
    if (cached && cached.revokedAt === null) cached.revokedAt = now;
    return done;
  }

  /**
   * Writes batched last-used times; called from a timer and at shutdown, never per request.
   * On failure (e.g. the CLI holds the lock) the batch is kept for the next flush.
   */
  flushLastUsed(): void {
    if (this.#lastUsed.size === 0) return;
    const batch = this.#lastUsed;
    this.#lastUsed = new Map();
    try {
      this.#store.touchKeys(batch);
    } catch (err) {
      for (const [id, at] of batch) if ((this.#lastUsed.get(id) ?? 0) < at) this.#lastUsed.set(id, at);
      throw err;
    }
  }
}

const DUMMY_DIGEST = Buffer.alloc(32);

function toCached(row: KeyRow): CachedKey {
  return { agentId: row.agentId, digest: Buffer.from(row.digest, 'hex'), expiresAt: row.expiresAt, revokedAt: row.revokedAt };
}

/** Shared by the registry (gateway) and the CLI (gateway possibly not running). */
export function createKeyRow(
  store: StateStore,
  agentId: string,
  opts: { label?: string | null; expiresAt?: number | null; now: number },
): { key: string; row: KeyRow } {
  const { key, keyId, digest } = generateKey();
  const row: KeyRow = {
    keyId,
    agentId,
    digest,
    label: opts.label ?? null,
    createdAt: opts.now,
    expiresAt: opts.expiresAt ?? null,
    revokedAt: null,
    lastUsedAt: null,
  };
  store.insertKey(row);
  return { key, row };
}

/**
 * A stored time as ISO 8601, or null when no date can show it. Rows written before expiries
 * were validated may hold one (e.g. 1e10 days ahead); such a key never expires in practice,
 * so null ("no expiry") tells the truth, and one bad row cannot break a whole listing.
 */
function isoTime(ms: number | null): string | null {
  if (ms === null) return null;
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The public view of a key row (no digest). */
export function publicKeyView(row: KeyRow) {
  return {
    keyId: row.keyId,
    agentId: row.agentId,
    label: row.label,
    createdAt: isoTime(row.createdAt),
    expiresAt: isoTime(row.expiresAt),
    revokedAt: isoTime(row.revokedAt),
    lastUsedAt: isoTime(row.lastUsedAt),
  };
}

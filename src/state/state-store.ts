import Database from 'better-sqlite3';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { migrate, sqlMigration, type SqliteMigration } from '../util/sqlite-migrate.js';

/**
 * Runtime state that catalog files only declare intent for: agent keys (hashes only),
 * runtime suspensions, tool-definition approvals and budget spend. Kept behind this narrow
 * interface so a PostgreSQL backend can replace SQLite without touching the policies.
 *
 * Both the running gateway and the CLI open the same file (WAL allows it); the gateway
 * notices the CLI's commits through `changeCounter()` (PRAGMA data_version).
 */
export interface KeyRow {
  keyId: string;
  agentId: string;
  /** SHA-256 of the whole key, hex. The key itself is never stored. */
  digest: string;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  revokedAt: number | null;
  lastUsedAt: number | null;
}

export interface SuspensionRow {
  agentId: string;
  since: number;
  reason: string | null;
  by: string;
}

export type ToolVersionStatus = 'pending' | 'approved' | 'rejected';

/**
 * One version (definition hash) of one upstream tool and the decision about it. `definition`
 * is the upstream's JSON as listed; `findings` the injection scan's JSON array.
 */
export interface ToolVersionRow {
  upstream: string;
  tool: string;
  hash: string;
  publicName: string;
  definition: string;
  findings: string;
  status: ToolVersionStatus;
  firstSeen: number;
  /** Last time the upstream switched to offering this version. */
  lastOffered: number;
  decidedAt: number | null;
  decidedBy: string | null;
  note: string | null;
}

/** A version without its (possibly large) texts, for in-memory views. */
export type ToolVersionState = Omit<ToolVersionRow, 'definition' | 'findings'>;

const MIGRATIONS: readonly SqliteMigration[] = [
  sqlMigration(
    1,
    'agent keys and runtime suspensions',
    `
      CREATE TABLE agent_keys (
        key_id TEXT PRIMARY KEY,
        agent_id TEXT NOT NULL,
        digest TEXT NOT NULL,
        label TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER,
        revoked_at INTEGER,
        last_used_at INTEGER
      );
      CREATE INDEX agent_keys_agent ON agent_keys(agent_id);
      CREATE TABLE agent_suspensions (
        agent_id TEXT PRIMARY KEY,
        since INTEGER NOT NULL,
        reason TEXT,
        by TEXT NOT NULL
      );
    `,
  ),
  sqlMigration(
    2,
    'tool definition approvals',
    `
      CREATE TABLE tool_versions (
        upstream TEXT NOT NULL,
        tool TEXT NOT NULL,
        hash TEXT NOT NULL,
        public_name TEXT NOT NULL,
        definition TEXT NOT NULL,
        findings TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'rejected')),
        first_seen INTEGER NOT NULL,
        last_offered INTEGER NOT NULL,
        decided_at INTEGER,
        decided_by TEXT,
        note TEXT,
        PRIMARY KEY (upstream, tool, hash)
      );
      CREATE INDEX tool_versions_public ON tool_versions(public_name);
    `,
  ),
  sqlMigration(
    3,
    'budget spend per window',
    `
      CREATE TABLE budget_spend (
        budget_key TEXT NOT NULL,
        window_start INTEGER NOT NULL,
        tokens INTEGER NOT NULL DEFAULT 0,
        usd REAL NOT NULL DEFAULT 0,
        calls INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (budget_key, window_start)
      );
      CREATE TABLE budget_resets (
        id INTEGER PRIMARY KEY,
        budget_key TEXT NOT NULL,
        at INTEGER NOT NULL,
        by TEXT NOT NULL
      );
    `,
  ),
  sqlMigration(
    4,
    'agents removed from the catalog whose keys await revocation',
    `
      CREATE TABLE agent_removals (
        agent_id TEXT PRIMARY KEY,
        removed_at INTEGER NOT NULL
      );
    `,
  ),
]

/** Spend added to one window (or rolling sub-bucket) of one budget. */
export interface BudgetSpendRow {
  budgetKey: string;
  windowStart: number;
  tokens: number;
  usd: number;
  calls: number;
}

export interface BudgetResetRow {
  id: number;
  budgetKey: string;
  at: number;
  by: string;
}

export class StateStore {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #dataVersion: Database.Statement;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.#db = db;
    this.#dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /**
   * Opens (creating if needed, private to this user) and migrates. The gateway passes
   * `busyTimeoutMs: 0` so a write never blocks its event loop waiting for a lock held by
   * the CLI: it gets SQLITE_BUSY at once and retries asynchronously (see busy-retry.ts).
   */
  static open(path: string, opts: { busyTimeoutMs?: number } = {}): StateStore {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // Create the file 0600 before SQLite does, so the -wal and -shm files inherit the mode.
    closeSync(openSync(path, 'a', 0o600));
    // Opening and migrating may wait for a lock like any CLI would; only then does the
    // gateway's connection switch to its own (non-blocking) busy timeout.
    let db: Database.Database | undefined;
    try {
      db = new Database(path, { timeout: 5000 });
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      migrate(db, MIGRATIONS);
      db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 2000}`);
      return new StateStore(path, db);
    } catch (err) {
      db?.close();
      throw new Error(`cannot open the state database ${path}: ${(err as Error).message}`);
    }
  }

  /**
   * Changes whenever another connection (the CLI) commits. Cheap enough to call on every
   * request (~1 µs: a shared-memory read of the WAL index under a file lock, no disk read).
   */
  changeCounter(): number {
    return this.#dataVersion.get() as number;
  }

  /** Proves the database is writable (for /readyz) without changing data. */
  probeWritable(): void {
    this.#db.transaction(() => undefined).immediate();
  }

  insertKey(row: Omit<KeyRow, 'revokedAt' | 'lastUsedAt'>): void {
    this.#db
      .prepare('INSERT INTO agent_keys (key_id, agent_id, digest, label, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)')
      .run(row.keyId, row.agentId, row.digest, row.label, row.createdAt, row.expiresAt);
  }

  listKeys(agentId?: string): KeyRow[] {
    const sql = `SELECT key_id keyId, agent_id agentId, digest, label, created_at createdAt, expires_at expiresAt,
                        revoked_at revokedAt, last_used_at lastUsedAt FROM agent_keys
                 ${agentId === undefined ? '' : 'WHERE agent_id = ?'} ORDER BY created_at, key_id`;
    const stmt = this.#db.prepare(sql);
    return (agentId === undefined ? stmt.all() : stmt.all(agentId)) as KeyRow[];
  }

  getKey(keyId: string): KeyRow | undefined {
    return this.listKeysWhere('key_id = ?', keyId)[0];
  }

  private listKeysWhere(where: string, arg: string): KeyRow[] {
    return this.#db
      .prepare(
        `SELECT key_id keyId, agent_id agentId, digest, label, created_at createdAt, expires_at expiresAt,
                revoked_at revokedAt, last_used_at lastUsedAt FROM agent_keys WHERE ${where}`,
      )
      .all(arg) as KeyRow[];
  }

  /** Returns false when the key does not exist or was already revoked. */
  revokeKey(keyId: string, at: number): boolean {
    return this.#db.prepare('UPDATE agent_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL').run(at, keyId).changes === 1;
  }

  /** Revokes every key of an agent that is not revoked yet; returns their ids. One transaction. */
  revokeAgentKeys(agentId: string, at: number): string[] {
    return this.#db.transaction(() => {
      const ids = this.#db
        .prepare('SELECT key_id FROM agent_keys WHERE agent_id = ? AND revoked_at IS NULL ORDER BY key_id')
        .pluck()
        .all(agentId) as string[];
      this.#db.prepare('UPDATE agent_keys SET revoked_at = ? WHERE agent_id = ? AND revoked_at IS NULL').run(at, agentId);
      return ids;
    }).immediate();
  }

  /** Batched last-used timestamps (flushed off the request path). */
  touchKeys(lastUsed: ReadonlyMap<string, number>): void {
    if (lastUsed.size === 0) return;
    const stmt = this.#db.prepare('UPDATE agent_keys SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE key_id = ?');
    this.#db.transaction(() => {
      for (const [keyId, at] of lastUsed) stmt.run(at, keyId);
    })();
  }

  suspend(agentId: string, reason: string | null, by: string, at: number): boolean {
    return (
      this.#db
        .prepare('INSERT INTO agent_suspensions (agent_id, since, reason, by) VALUES (?, ?, ?, ?) ON CONFLICT(agent_id) DO NOTHING')
        .run(agentId, at, reason, by).changes === 1
    );
  }

  resume(agentId: string): boolean {
    return this.#db.prepare('DELETE FROM agent_suspensions WHERE agent_id = ?').run(agentId).changes === 1;
  }

  /** Notes when an agent left the catalog (a row left by an earlier removal, whose clearing failed, is replaced). */
  noteRemoval(agentId: string, at: number): void {
    this.#db.prepare('INSERT INTO agent_removals (agent_id, removed_at) VALUES (?, ?) ON CONFLICT(agent_id) DO UPDATE SET removed_at = excluded.removed_at').run(agentId, at);
  }

  /** The agent is back, or its keys were revoked: nothing awaits it any more. */
  clearRemoval(agentId: string): void {
    this.#db.prepare('DELETE FROM agent_removals WHERE agent_id = ?').run(agentId);
  }

  listRemovals(): Array<{ agentId: string; removedAt: number }> {
    return this.#db.prepare('SELECT agent_id agentId, removed_at removedAt FROM agent_removals ORDER BY agent_id').all() as Array<{ agentId: string; removedAt: number }>;
  }

  listSuspensions(): SuspensionRow[] {
    return this.#db.prepare('SELECT agent_id agentId, since, reason, by FROM agent_suspensions ORDER BY agent_id').all() as SuspensionRow[];
  }

  /** Every tool version's status (no definitions): what the tool registry keeps in memory. */
  listToolVersionStates(): ToolVersionState[] {
    return this.#db
      .prepare(
        `SELECT upstream, tool, hash, public_name publicName, status, first_seen firstSeen, last_offered lastOffered,
                decided_at decidedAt, decided_by decidedBy, note FROM tool_versions`,
      )
      .all() as ToolVersionState[];
  }

  /** Whole rows, oldest offer first, optionally of one public name and/or status. */
  listToolVersions(filter: { publicName?: string; status?: ToolVersionStatus } = {}): ToolVersionRow[] {
    const where: string[] = [];
    const args: string[] = [];
    if (filter.publicName !== undefined) {
      where.push('public_name = ?');
      args.push(filter.publicName);
    }
    if (filter.status !== undefined) {
      where.push('status = ?');
      args.push(filter.status);
    }
    return this.#db
      .prepare(
        `SELECT upstream, tool, hash, public_name publicName, definition, findings, status, first_seen firstSeen,
                last_offered lastOffered, decided_at decidedAt, decided_by decidedBy, note FROM tool_versions
         ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY public_name, last_offered, first_seen, hash`,
      )
      .all(...args) as ToolVersionRow[];
  }

  /**
   * Records that the upstream now offers these versions, in one transaction: inserts each
   * new one, otherwise only moves its last_offered time. Returns, per row, whether it was
   * inserted and the version's stored state (a decision made by another process included).
   */
  offerToolVersions(rows: ReadonlyArray<Omit<ToolVersionRow, 'lastOffered'>>): Array<{ inserted: boolean; current: ToolVersionState }> {
    const insert = this.#db.prepare(
      `INSERT INTO tool_versions (upstream, tool, hash, public_name, definition, findings, status, first_seen, last_offered, decided_at, decided_by, note)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upstream, tool, hash) DO NOTHING`,
    );
    const touch = this.#db.prepare('UPDATE tool_versions SET last_offered = ? WHERE upstream = ? AND tool = ? AND hash = ?');
    const read = this.#db.prepare(
      `SELECT upstream, tool, hash, public_name publicName, status, first_seen firstSeen, last_offered lastOffered,
              decided_at decidedAt, decided_by decidedBy, note FROM tool_versions WHERE upstream = ? AND tool = ? AND hash = ?`,
    );
    return this.#db.transaction(() =>
      rows.map((row) => {
        const inserted =
          insert.run(row.upstream, row.tool, row.hash, row.publicName, row.definition, row.findings, row.status, row.firstSeen, row.firstSeen, row.decidedAt, row.decidedBy, row.note)
            .changes === 1;
        if (!inserted) touch.run(row.firstSeen, row.upstream, row.tool, row.hash);
        return { inserted, current: read.get(row.upstream, row.tool, row.hash) as ToolVersionState };
      }),
    ).immediate();
  }

  /** Sets a version's decision when its status is one of `from`; returns false when nothing changed. */
  decideToolVersion(
    key: { upstream: string; tool: string; hash: string },
    decision: { status: ToolVersionStatus; by: string | null; note: string | null; at: number | null },
    from: readonly ToolVersionStatus[],
  ): boolean {
    return (
      this.#db
        .prepare(
          `UPDATE tool_versions SET status = ?, decided_at = ?, decided_by = ?, note = ?
           WHERE upstream = ? AND tool = ? AND hash = ? AND status IN (${from.map(() => '?').join(', ')})`,
        )
        .run(decision.status, decision.at, decision.by, decision.note, key.upstream, key.tool, key.hash, ...from).changes === 1
    );
  }

  /** Adds spend (deltas, so the CLI's resets and the gateway's writes never overwrite each other), in one transaction. */
  addBudgetSpend(rows: readonly BudgetSpendRow[]): void {
    const stmt = this.#db.prepare(
      `INSERT INTO budget_spend (budget_key, window_start, tokens, usd, calls) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT(budget_key, window_start) DO UPDATE SET tokens = tokens + excluded.tokens, usd = usd + excluded.usd, calls = calls + excluded.calls`,
    );
    this.#db.transaction(() => {
      for (const r of rows) stmt.run(r.budgetKey, r.windowStart, r.tokens, r.usd, r.calls);
    })();
  }

  /** Spend of windows that started at or after `since` (optionally one budget key prefix, e.g. `agent:a|`). */
  listBudgetSpend(since: number, keyPrefix?: string): BudgetSpendRow[] {
    const sql = `SELECT budget_key budgetKey, window_start windowStart, tokens, usd, calls FROM budget_spend WHERE window_start >= ?${keyPrefix === undefined ? '' : ' AND substr(budget_key, 1, ?) = ?'} ORDER BY budget_key, window_start`;
    const stmt = this.#db.prepare(sql);
    return (keyPrefix === undefined ? stmt.all(since) : stmt.all(since, keyPrefix.length, keyPrefix)) as BudgetSpendRow[];
  }

  /** Forgets the spend of these budgets and records the reset, which running gateways apply. */
  resetBudgets(keys: readonly string[], at: number, by: string): void {
    const del = this.#db.prepare('DELETE FROM budget_spend WHERE budget_key = ?');
    const ins = this.#db.prepare('INSERT INTO budget_resets (budget_key, at, by) VALUES (?, ?, ?)');
    this.#db.transaction(() => {
      for (const k of keys) {
        del.run(k);
        ins.run(k, at, by);
      }
    })();
  }

  /** Resets recorded after the one with id `afterId`. */
  listBudgetResets(afterId: number): BudgetResetRow[] {
    return this.#db.prepare('SELECT id, budget_key budgetKey, at, by FROM budget_resets WHERE id > ? ORDER BY id').all(afterId) as BudgetResetRow[];
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

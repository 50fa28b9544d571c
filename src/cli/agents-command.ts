import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { auditDbPath, stateDbPath } from '../app.js';
import type { AuditEventInput } from '../audit/record.js';
import { appendDirect, openAuditDb, type AuditDb } from '../audit/index.js';
import { loadCatalog } from '../catalog/index.js';
import { ConfigError } from '../config/issues.js';
import type { LoadedConfig } from '../config/load.js';
import { createKeyRow, publicKeyView } from '../keys/key-registry.js';
import { effectiveStatus } from '../state/suspension-index.js';
import { StateStore } from '../state/state-store.js';
import { configFrom, parse, parseTime, printTable, UsageError, type Io, cliActor } from './common.js';

export const AGENTS_HELP = `warden agents <verb>
  list                                   agents in the catalog with their effective status
  keys create <agent> [--label L] [--expires T | --ttl-days N] [--json]
                                         print a new key once (only its hash is stored)
  keys list [agent] [--json]             key ids, created, last used, expiry, revoked
  keys revoke <key-id>                   the key stops working at once
  suspend <agent> [--reason R]           runtime suspension (overrides the file's status)
  resume <agent>                         lift a runtime suspension
Times T: ISO 8601 with Z or ±hh:mm, a date YYYY-MM-DD (midnight UTC), or epoch milliseconds.
All verbs work whether or not the gateway is running; a running gateway applies them at once.`;

/**
 * `warden agents ...`: state-changing verbs write the state database directly (WAL lets
 * them share it with a running gateway, which polls for changes) and append their own
 * audit record to the same hash chain.
 */
export async function agentsCommand(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, {
    label: { type: 'string' },
    expires: { type: 'string' },
    'ttl-days': { type: 'string' },
    reason: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (values.help || positionals.length === 0) {
    io.out.write(`${AGENTS_HELP}\n`);
    return values.help ? 0 : 2;
  }
  const config = await configFrom(values);
  const [verb, sub, arg] = positionals;
  if (!existsSync(config.dataDir)) {
    io.err.write(`note: data directory ${config.dataDir} does not exist yet; creating it (a gateway using another data directory will not see this change)\n`);
  }
  const state = StateStore.open(stateDbPath(config.dataDir));
  try {
    const now = Date.now();
    if (verb === 'list') return await listAgents(config, state, io, values.json === true);
    if (verb === 'keys' && sub === 'create') {
      const agentId = required(arg, 'agent id');
      await requireAgent(config, agentId);
      let expiresAt: number | null = null;
      if (values.expires !== undefined && values['ttl-days'] !== undefined) throw new UsageError('give --expires or --ttl-days, not both');
      if (values.expires !== undefined) expiresAt = parseTime(values.expires, '--expires');
      if (values['ttl-days'] !== undefined) {
        const days = Number(values['ttl-days']);
        if (!(days > 0)) throw new UsageError('--ttl-days must be a positive number');
        expiresAt = now + days * 86_400_000;
      }
      if (expiresAt !== null && expiresAt <= now) throw new UsageError('the expiry is in the past');
      const auditDb = openAudit(config);
      const { key, row } = createKeyRow(state, agentId, { label: values.label ?? null, expiresAt, now });
      try {
        record(auditDb, { action: 'keys.create', target: agentId, agentId, keyId: row.keyId, details: { ...cliActor() } });
      } catch (err) {
        // A key nobody can account for must not stay usable.
        state.revokeKey(row.keyId, now);
        throw err;
      } finally {
        auditDb.close();
      }
      if (values.json) io.out.write(`${JSON.stringify({ key, ...publicKeyView(row) })}\n`);
      else io.out.write(`${key}\n\nkey id ${row.keyId} for agent ${agentId}. Store the key now: it is shown once and only its hash is kept.\n`);
      return 0;
    }
    if (verb === 'keys' && sub === 'list') {
      const rows = state.listKeys(arg).map(publicKeyView);
      if (values.json) for (const r of rows) io.out.write(`${JSON.stringify(r)}\n`);
      else printTable(io.out, rows, ['keyId', 'agentId', 'label', 'createdAt', 'lastUsedAt', 'expiresAt', 'revokedAt']);
      return 0;
    }
    if (verb === 'keys' && sub === 'revoke') {
      const keyId = required(arg, 'key id');
      if (keyId.startsWith('wdn_')) {
        // Never echo what looks like a whole key back to the terminal (or a shared log).
        throw new UsageError('that looks like a key, not a key id: give the 12-character key id shown by `warden agents keys list`');
      }
      const row = state.getKey(keyId);
      if (!row) {
        io.err.write(`no key ${keyId}\n`);
        return 1;
      }
      const auditDb = openAudit(config);
      try {
        const changed = state.revokeKey(keyId, now);
        record(auditDb, { action: 'keys.revoke', target: keyId, agentId: row.agentId, keyId, details: { ...cliActor(), changed } });
        io.out.write(changed ? `revoked ${keyId}\n` : `${keyId} was already revoked\n`);
      } finally {
        auditDb.close();
      }
      return 0;
    }
    if (verb === 'suspend' || verb === 'resume') {
      const agentId = required(sub, 'agent id');
      await requireAgent(config, agentId);
      const auditDb = openAudit(config);
      let changed: boolean;
      try {
        changed = verb === 'suspend' ? state.suspend(agentId, values.reason ?? null, 'cli', now) : state.resume(agentId);
        record(auditDb, { action: `agents.${verb}`, target: agentId, agentId, reason: values.reason ?? null, details: { ...cliActor(), changed } });
      } finally {
        auditDb.close();
      }
      io.out.write(`${changed ? (verb === 'suspend' ? 'suspended' : 'resumed') : `no change (already ${verb === 'suspend' ? 'suspended' : 'not suspended at runtime'})`}: ${agentId}\n`);
      return 0;
    }
    throw new UsageError(`unknown verb: agents ${positionals.join(' ')}`);
  } finally {
    state.close();
  }
}

function required(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`missing ${what}`);
  return v;
}

async function requireAgent(config: LoadedConfig, agentId: string): Promise<void> {
  const r = await loadCatalog(config.catalogDir);
  if (!r.ok) throw new ConfigError('catalog', r.issues);
  if (!r.catalog.agents.has(agentId)) throw new UsageError(`no agent "${agentId}" in the catalog at ${config.catalogDir}`);
}

async function listAgents(config: LoadedConfig, state: StateStore, io: Io, json: boolean): Promise<number> {
  const r = await loadCatalog(config.catalogDir);
  if (!r.ok) throw new ConfigError('catalog', r.issues);
  const susp = new Map(state.listSuspensions().map((s) => [s.agentId, s]));
  const keys = state.listKeys();
  const rows = [...r.catalog.agents.values()]
    .sort((a, b) => a.id.localeCompare(b.id))
    .map((a) => ({
      id: a.id,
      owner: a.owner,
      status: effectiveStatus(a.status, susp.get(a.id)),
      suspendedBy: susp.get(a.id)?.by ?? null,
      keys: keys.filter((k) => k.agentId === a.id && k.revokedAt === null).length,
      displayName: a.displayName,
    }));
  if (json) for (const row of rows) io.out.write(`${JSON.stringify(row)}\n`);
  else printTable(io.out, rows, ['id', 'owner', 'status', 'keys', 'displayName']);
  return 0;
}

/** Opened before a state change, so an unwritable audit trail stops the change instead of hiding it. */
function openAudit(config: LoadedConfig): AuditDb {
  return openAuditDb(auditDbPath(config.dataDir), { durability: config.audit.durability });
}

function record(db: AuditDb, ev: Omit<AuditEventInput, 'time' | 'requestId' | 'channel' | 'decision'>): void {
  appendDirect(db, [{ time: Date.now(), requestId: `cli-${randomUUID()}`, channel: 'admin', decision: 'allow', ...ev }]);
}

import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { auditDbPath, stateDbPath } from '../data-paths.js';
import type { AuditEventInput } from '../audit/record.js';
import { appendDirect, openAuditDb, type AuditDb } from '../audit/index.js';
import { loadCatalog } from '../catalog/index.js';
import { ConfigError } from '../config/issues.js';
import type { LoadedConfig } from '../config/load.js';
import { createKeyRow, publicKeyView } from '../keys/key-registry.js';
import { effectiveStatus } from '../state/suspension-index.js';
import { StateStore } from '../state/state-store.js';
import { CreateKeyOptions, expiryFrom, MAX_KEY_TTL_DAYS } from '../keys/key-expiry.js';
import { configFrom, parse, printTable, UsageError, type Io, cliActor } from './common.js';
import { applyInRunningGateway } from './live-gateway.js';
import { AGENTS_HELP } from './help-texts.js';

/**
 * `warden agents ...`: state-changing verbs write the state database directly (WAL lets
 * them share it with a running gateway, which is asked to re-read it) and append their own
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
      if (values.expires !== undefined && values['ttl-days'] !== undefined) throw new UsageError('give --expires or --ttl-days, not both');
      const expiresAt = keyExpiry(values, now);
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
      await applyInRunningGateway(config.dataDir, io);
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
      let changed = false;
      try {
        changed = state.revokeKey(keyId, now);
        record(auditDb, { action: 'keys.revoke', target: keyId, agentId: row.agentId, keyId, details: { ...cliActor(), changed } });
      } finally {
        auditDb.close();
        // Committed is committed: the gateway must stop accepting the key even if the record failed.
        if (changed) await applyInRunningGateway(config.dataDir, io);
      }
      io.out.write(changed ? `revoked ${keyId}\n` : `${keyId} was already revoked\n`);
      return 0;
    }
    if (verb === 'suspend' || verb === 'resume') {
      const agentId = required(sub, 'agent id');
      await requireAgent(config, agentId);
      const auditDb = openAudit(config);
      let changed = false;
      try {
        changed = verb === 'suspend' ? state.suspend(agentId, values.reason ?? null, 'cli', now) : state.resume(agentId);
        record(auditDb, { action: `agents.${verb}`, target: agentId, agentId, reason: values.reason ?? null, details: { ...cliActor(), changed } });
      } finally {
        auditDb.close();
        if (changed) await applyInRunningGateway(config.dataDir, io);
      }
      io.out.write(`${changed ? (verb === 'suspend' ? 'suspended' : 'resumed') : `no change (already ${verb === 'suspend' ? 'suspended' : 'not suspended at runtime'})`}: ${agentId}\n`);
      return 0;
    }
    throw new UsageError(`unknown verb: agents ${positionals.join(' ')}`);
  } finally {
    state.close();
  }
}

const CREATE_FLAGS: Record<string, string> = { label: '--label', expiresAt: '--expires', ttlDays: '--ttl-days' };

/**
 * The expiry `keys create` asks for, checked by the admin API's own schema before anything
 * is written: a value no date can show (1e10 days, Infinity) or a date that does not exist
 * (2030-02-31) would otherwise be stored and break every later listing.
 */
function keyExpiry(values: { label?: string; expires?: string; 'ttl-days'?: string }, now: number): number | null {
  const ttl = values['ttl-days'];
  const r = CreateKeyOptions.safeParse({
    ...(values.label !== undefined ? { label: values.label } : {}),
    ...(values.expires !== undefined ? { expiresAt: values.expires } : {}),
    // Only plain decimals: Number() would also read '', '0x10' or 'Infinity'.
    ...(ttl !== undefined ? { ttlDays: /^\d+(\.\d+)?$/.test(ttl.trim()) ? Number(ttl) : Number.NaN } : {}),
  });
  if (!r.success) {
    const i = r.error.issues[0]!;
    const flag = CREATE_FLAGS[String(i.path[0])];
    const hint =
      flag === '--expires'
        ? 'an ISO 8601 date and time with an offset, e.g. 2030-01-31T00:00:00Z'
        : flag === '--ttl-days'
          ? `a number of days above 0, at most ${MAX_KEY_TTL_DAYS}`
          : i.message;
    throw new UsageError(flag ? `${flag}: expected ${hint}` : i.message);
  }
  const expiresAt = expiryFrom(r.data, now);
  if (expiresAt !== null && expiresAt <= now) throw new UsageError('the expiry is in the past');
  return expiresAt;
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

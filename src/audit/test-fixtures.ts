/** Shared helpers for the audit tests (no test framework imports, so it also builds). */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditDb } from './db.js';
import type { AuditEventInput } from './record.js';

/** A fresh temp dir and a db path inside it; `cleanup` removes both. */
export function tempAuditDir(prefix = 'warden-audit-'): { dir: string; dbPath: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, dbPath: join(dir, 'audit.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A plausible gateway event; `i` varies the ids. */
export function sampleEvent(i: number, over: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    time: 1_700_000_000_000 + i * 1000,
    requestId: `req-${i}`,
    traceId: `trace-${i % 3}`,
    agentId: i % 2 === 0 ? 'agent-a' : 'agent-b',
    keyId: 'key-1',
    channel: 'mcp',
    action: 'tools/call',
    target: `tool-${i % 4}`,
    decision: 'allow',
    policy: 'forward',
    status: 200,
    latencyMs: 1.5,
    requestDigest: 'sha256:' + 'ab'.repeat(32),
    requestBytes: 123,
    redactions: { email: 1 },
    path: [{ policy: 'rate-limit', decision: 'allow', ms: 0.1 }],
    details: { i },
    ...over,
  };
}

/** Polls `cond` every 10 ms until it holds (throws after `ms`); returns the ms it took. */
export async function until(cond: () => boolean, ms = 3000): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
  return Date.now() - start;
}

/** Runs SQL as an attacker with file access would: the append-only triggers dropped first. */
export function tamper(db: AuditDb, sql: string, ...params: unknown[]): void {
  db.exec(
    'DROP TRIGGER IF EXISTS audit_events_no_update; DROP TRIGGER IF EXISTS audit_events_no_delete;' +
      'DROP TRIGGER IF EXISTS audit_lookup_no_update; DROP TRIGGER IF EXISTS audit_lookup_no_delete;',
  );
  db.prepare(sql).run(...params);
}

/** A fresh Ed25519 key pair as PEM strings. */
export function ed25519Pems(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/issues.js';
import type { LoadedConfig } from '../config/load.js';
import { resolveSecretRef } from '../config/secret-ref.js';
import { createAuditSink, type WorkerAuditSink } from './sink.js';
import { auditSinkOptions } from './sink-options.js';

/**
 * Opens the gateway's audit sink from configuration: `<dataDir>/audit.db`, the signing key
 * resolved from its SecretRef. Refuses to start (throws ConfigError) when the key cannot
 * be read or used, or the database cannot be opened: never runs un-audited.
 */
export async function openAuditSink(config: LoadedConfig, log: Logger): Promise<WorkerAuditSink> {
  const where = (path: string, message: string) => new ConfigError('audit', [{ file: config.file ?? 'warden.yaml', path, message }]);
  // Private to this user; audit.db itself is created 0600 (see openAuditDb).
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const mode = (await stat(config.dataDir)).mode & 0o777;
  if ((mode & 0o077) !== 0) log.warn({ dataDir: config.dataDir, mode: mode.toString(8) }, 'dataDir is accessible to other users; chmod 700 it');
  let signingKeyPem: string | null = null;
  const ref = config.audit.checkpoint.signingKey;
  if (ref) {
    const r = await resolveSecretRef(ref, config.baseDir);
    if (!r.ok) throw where('audit.checkpoint.signingKey', r.message);
    signingKeyPem = r.secret.reveal();
  }
  const opts = auditSinkOptions(config.audit, {
    dbPath: join(config.dataDir, 'audit.db'),
    signingKeyPem,
    log,
    onHealthChange: (healthy, problem) => {
      if (healthy) log.info('audit store healthy again');
      else log.error({ problem }, 'audit store unhealthy: governed requests fail closed');
    },
  });
  try {
    return await createAuditSink(opts);
  } catch (err) {
    throw where(ref && /signing key/.test(String(err)) ? 'audit.checkpoint.signingKey' : 'dataDir', (err as Error).message);
  }
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/issues.js';
import { describeSecretRef, resolveSecretRef, type SecretRef } from '../config/secret-ref.js';

/** Holds only the digest of the admin token; agent keys never match it (different prefix, separate check). */
export class AdminToken {
  readonly #digest: Buffer;
  /** Where the token came from, for the start-up log (never the value). */
  readonly source: string;

  constructor(token: string, source: string) {
    this.#digest = sha256(token);
    this.source = source;
  }

  verify(presented: string): boolean {
    return timingSafeEqual(sha256(presented), this.#digest);
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export const ADMIN_TOKEN_FILE = 'admin.token';

/**
 * The configured admin token, or on embedded defaults a random one generated once into
 * `<dataDir>/admin.token` (mode 0600) so a fresh machine is usable yet never open.
 */
export async function loadAdminToken(ref: SecretRef | undefined, dataDir: string, baseDir: string): Promise<AdminToken> {
  if (ref) {
    const r = await resolveSecretRef(ref, baseDir);
    if (!r.ok) throw new ConfigError('configuration', [{ file: 'warden.yaml', path: 'admin.token', message: r.message }]);
    if (r.secret.reveal().length < 16) {
      throw new ConfigError('configuration', [{ file: 'warden.yaml', path: 'admin.token', message: 'admin token must be at least 16 characters' }]);
    }
    return new AdminToken(r.secret.reveal(), describeSecretRef(ref));
  }
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 16) return new AdminToken(existing, `file ${path}`);
  } catch {
    // Not there yet: generate below.
  }
  await mkdir(dataDir, { recursive: true });
  const token = `wdnadm_${randomBytes(32).toString('base64url')}`;
  await writeFile(path, `${token}\n`, { mode: 0o600, flag: 'w' });
  return new AdminToken(token, `file ${path} (generated)`);
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/issues.js';
import { describeSecretRef, resolveSecretRef, type SecretRef } from '../config/secret-ref.js';
import { writePrivateFile } from '../util/private-file.js';

/**
 * Holds only the digest of the admin token, and of this run's runtime token; agent keys never
 * match either (different prefix, separate check).
 */
export class AdminToken {
  readonly #digest: Buffer;
  #runtime: Buffer | null = null;
  /** Where the token came from, for the start-up log (never the value). */
  readonly source: string;

  constructor(token: string, source: string) {
    this.#digest = sha256(token);
    this.source = source;
  }

  /**
   * A second admin credential that lives only as long as this process: the one the CLI reads
   * from gateway.json (src/admin/runtime-file.ts). Should it ever reach another process on
   * the port, the gateway that issued it is gone and it opens nothing.
   */
  issueRuntimeToken(): string {
    const token = `wdnadm_rt_${randomBytes(32).toString('base64url')}`;
    this.#runtime = sha256(token);
    return token;
  }

  verify(presented: string): boolean {
    const d = sha256(presented);
    // Both compared, whatever the first gave: the time taken says nothing about which matched.
    const admin = timingSafeEqual(d, this.#digest);
    const runtime = this.#runtime !== null && timingSafeEqual(d, this.#runtime);
    return admin || runtime;
  }
}

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

export const ADMIN_TOKEN_FILE = 'admin.token';
const MIN_TOKEN_LENGTH = 16;

/** Where start-up reports a token file other users can read (the gateway's logger). */
export type TokenWarn = (fields: Record<string, unknown>, message: string) => void;

/**
 * The configured admin token, or on embedded defaults a random one generated once into
 * `<dataDir>/admin.token` (mode 0600) so a fresh machine is usable yet never open.
 * An existing file is used as it is: one that is too short or unreadable stops the start
 * (it is the operator's, never overwritten), and one other users can read is warned about
 * (as a loose data directory is).
 */
export async function loadAdminToken(ref: SecretRef | undefined, dataDir: string, baseDir: string, warn: TokenWarn = () => {}): Promise<AdminToken> {
  if (ref) {
    const r = await resolveSecretRef(ref, baseDir);
    if (!r.ok) throw new ConfigError('configuration', [{ file: 'warden.yaml', path: 'admin.token', message: r.message }]);
    if (r.secret.reveal().length < MIN_TOKEN_LENGTH) {
      throw new ConfigError('configuration', [{ file: 'warden.yaml', path: 'admin.token', message: `admin token must be at least ${MIN_TOKEN_LENGTH} characters` }]);
    }
    return new AdminToken(r.secret.reveal(), describeSecretRef(ref));
  }
  const path = join(dataDir, ADMIN_TOKEN_FILE);
  const problem = (message: string) => new ConfigError('configuration', [{ file: path, path: '(file)', message }]);
  let existing: string | null = null;
  try {
    const mode = (await stat(path)).mode & 0o777;
    existing = (await readFile(path, 'utf8')).trim();
    if ((mode & 0o077) !== 0) warn({ file: path, mode: mode.toString(8) }, 'admin token file is readable by other users; chmod 600 it');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') throw problem(`admin token file cannot be read (${code ?? String(err)}); fix or remove it`);
  }
  if (existing !== null) {
    if (existing.length >= MIN_TOKEN_LENGTH) return new AdminToken(existing, `file ${path}`);
    throw problem(`admin token file holds fewer than ${MIN_TOKEN_LENGTH} characters; write a longer token into it, or delete it to have one generated`);
  }
  await mkdir(dataDir, { recursive: true });
  const token = `wdnadm_${randomBytes(32).toString('base64url')}`;
  await writePrivateFile(path, `${token}\n`);
  return new AdminToken(token, `file ${path} (generated)`);
}

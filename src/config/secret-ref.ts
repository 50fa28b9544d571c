import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

/**
 * A reference to a secret. Secrets are never written inline in configuration or catalog
 * files: only the name of an environment variable or the path of a file holding them.
 */
export const SecretRefSchema = z.union(
  [
    z.strictObject({ env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name') }),
    z.strictObject({ file: z.string().min(1) }),
  ],
  { error: 'must be a secret reference, {env: NAME} or {file: path}; secrets are never written inline' },
).describe('Secret reference: {env: NAME} or {file: path}; never the secret itself');

export type SecretRef = z.infer<typeof SecretRefSchema>;

/** Secrets are keys and tokens, not documents: anything larger is a mistake (or /dev/zero). */
export const MAX_SECRET_FILE_BYTES = 64 * 1024;

/** A resolved secret that never prints itself (logs, JSON, util.inspect). */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '[secret]';
  }
  toJSON(): string {
    return '[secret]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return '[secret]';
  }
}

export function describeSecretRef(ref: SecretRef): string {
  return 'env' in ref ? `env ${ref.env}` : `file ${ref.file}`;
}

/**
 * Resolves a reference. Relative file paths are relative to the file that declared them.
 * The only reader of process.env for secrets; returns an error message instead of throwing.
 */
export async function resolveSecretRef(
  ref: SecretRef,
  baseDir: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ ok: true; secret: Secret } | { ok: false; message: string }> {
  if ('env' in ref) {
    const v = env[ref.env];
    if (v === undefined || v === '') return { ok: false, message: `environment variable ${ref.env} is not set` };
    return { ok: true, secret: new Secret(v) };
  }
  const path = isAbsolute(ref.file) ? ref.file : resolve(baseDir, ref.file);
  let fh: FileHandle | undefined;
  try {
    // O_NONBLOCK: a FIFO must not hang the reload; only a small regular file is a secret.
    fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const st = await fh.stat();
    if (!st.isFile()) return { ok: false, message: `secret file ${ref.file} is not a regular file` };
    if (st.size > MAX_SECRET_FILE_BYTES) return { ok: false, message: `secret file ${ref.file} is larger than ${MAX_SECRET_FILE_BYTES} bytes` };
    const v = (await fh.readFile('utf8')).trim();
    if (v === '') return { ok: false, message: `secret file ${ref.file} is empty` };
    return { ok: true, secret: new Secret(v) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return { ok: false, message: `secret file ${ref.file} cannot be read (${code})` };
  } finally {
    await fh?.close();
  }
}

import { randomBytes } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `text` to `path` whole or not at all, readable by this user only: through a new
 * 0600 file with an unpredictable name ('wx': never through a planted link), renamed into
 * place. A mode given to writeFile applies only when it creates the file, so writing over an
 * existing loose file would keep it readable.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * `<dataDir>/gateway.json`: the process serving this data folder, where it listens, and a
 * token valid for that process only. The CLI asks only the port this file names, while its
 * process is alive, and presents that token, never the admin token: a configured port alone
 * could be held by any other local process once the gateway is down, and even the pid check
 * can be fooled by a reused pid; what such a process receives is a token of a gateway that
 * is gone.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writePrivateFile } from '../util/private-file.js';

export const RUNTIME_FILE = 'gateway.json';

const RuntimeSchema = z.object({
  pid: z.number().int().positive(),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  /** This run's runtime admin token (AdminToken.issueRuntimeToken): what the CLI presents instead of the admin token. */
  token: z.string().startsWith('wdnadm_rt_'),
});
export type RuntimeInfo = z.infer<typeof RuntimeSchema>;

/** Written (mode 0600, whole or not at all) once the gateway listens. */
export async function writeRuntimeFile(dataDir: string, info: RuntimeInfo): Promise<void> {
  await writePrivateFile(join(dataDir, RUNTIME_FILE), `${JSON.stringify(info)}\n`);
}

/** Removed at shutdown, unless another gateway has written it since. */
export async function removeRuntimeFile(dataDir: string, pid: number): Promise<void> {
  const current = await readRuntimeFile(dataDir);
  if (current?.pid === pid) await rm(join(dataDir, RUNTIME_FILE), { force: true });
}

/** The gateway serving this data folder, or null when none is (no file, or its process is gone). */
export async function runningGateway(dataDir: string): Promise<RuntimeInfo | null> {
  const info = await readRuntimeFile(dataDir);
  return info && alive(info.pid) ? info : null;
}

async function readRuntimeFile(dataDir: string): Promise<RuntimeInfo | null> {
  try {
    const parsed = RuntimeSchema.safeParse(JSON.parse(await readFile(join(dataDir, RUNTIME_FILE), 'utf8')));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, but another user's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

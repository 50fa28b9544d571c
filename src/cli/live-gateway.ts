/**
 * The CLI's calls to the gateway serving its data folder: only where that gateway's runtime
 * file says it listens, while its process lives, with that run's own token (runtime-file.ts
 * says why never the admin token, and never a configured port).
 */
import { runningGateway } from '../admin/runtime-file.js';
import type { Io } from './common.js';

const TIMEOUT_MS = 2000;

/** The gateway's answer, or null when none runs for this folder or it did not answer 2xx in time. */
export async function askRunningGateway(dataDir: string, path: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
  const running = await runningGateway(dataDir);
  if (!running) return null;
  const host = running.host === '0.0.0.0' ? '127.0.0.1' : running.host === '::' ? '::1' : running.host;
  try {
    const url = new URL(path, `http://${host.includes(':') ? `[${host}]` : host}:${running.port}`);
    const res = await fetch(url, { method, headers: { authorization: `Bearer ${running.token}` }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!res.ok) return null;
    return await res.json();
  } catch {
    return null;
  }
}

/**
 * After a command committed to state.db: has the running gateway (if any) re-read it before
 * the command returns, so the change holds for its next request. A gateway that cannot be
 * asked still picks the change up within a second; the user is told so.
 */
export async function applyInRunningGateway(dataDir: string, io: Io): Promise<void> {
  if (!(await runningGateway(dataDir))) return;
  const answer = await askRunningGateway(dataDir, '/admin/state/reload', 'POST');
  if (answer === null) io.err.write('note: the running gateway did not confirm the change; it applies it within a second\n');
}

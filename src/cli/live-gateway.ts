/**
 * The CLI's calls to the gateway serving its data folder: only where that gateway's runtime
 * file says it listens, while its process lives, with that run's own token (runtime-file.ts
 * says why never the admin token, and never a configured port).
 */
import { runningGateway, type RuntimeInfo } from '../admin/runtime-file.js';
import type { Io } from './common.js';

const TIMEOUT_MS = 2000;

/** The gateway's answer, or null when none runs for this folder or it did not answer 2xx in time. */
export async function askRunningGateway(dataDir: string, path: string, method: 'GET' | 'POST' = 'GET'): Promise<unknown> {
  const running = await runningGateway(dataDir);
  return running ? ask(running, path, method) : null;
}

async function ask(running: RuntimeInfo, path: string, method: 'GET' | 'POST'): Promise<unknown> {
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
 * After a command committed to state.db: has the running gateway re-read it before the
 * command returns, so the change holds for its next request. A gateway named by gateway.json
 * that does not confirm still picks the change up within a second, and the user is told so.
 * Without a live gateway.json there is nothing to ask: no gateway serves this folder, or one
 * that could not write the file (it logged a warning), which also applies it within a second.
 */
export async function applyInRunningGateway(dataDir: string, io: Io): Promise<void> {
  const running = await runningGateway(dataDir);
  if (!running) return;
  const answer = await ask(running, '/admin/state/reload', 'POST');
  if (answer === null) io.err.write(`note: the running gateway (pid ${running.pid}) did not confirm the change; it applies it within a second\n`);
}

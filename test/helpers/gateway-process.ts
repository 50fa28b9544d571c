import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const CLI = join(REPO, 'dist/cli/main.js');
export const EXAMPLE_CATALOG = join(REPO, 'agents-catalog');

/** A scratch folder holding a gateway's config, catalog and data. */
export interface Workspace {
  dir: string;
  config: string;
  catalogDir: string;
  dataDir: string;
  cleanup(): void;
}

/**
 * Creates a temp workspace with a warden.yaml (port 0, loopback) and a catalog folder,
 * by default a copy of the repo's example catalog.
 */
export function makeWorkspace(opts: { catalogFrom?: string | null; config?: string } = {}): Workspace {
  const dir = mkdtempSync(join(tmpdir(), 'warden-test-'));
  const catalogDir = join(dir, 'agents-catalog');
  const dataDir = join(dir, 'data');
  mkdirSync(catalogDir, { recursive: true });
  if (opts.catalogFrom !== null) cpSync(opts.catalogFrom ?? EXAMPLE_CATALOG, catalogDir, { recursive: true });
  const config = join(dir, 'warden.yaml');
  writeFileSync(
    config,
    `listen: { host: 127.0.0.1, port: 0 }\ndataDir: ./data\ncatalogDir: ./agents-catalog\nlog: { level: info, pretty: never }\n${opts.config ?? ''}`,
  );
  return { dir, config, catalogDir, dataDir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface RunningGateway {
  url: string;
  port: number;
  proc: ChildProcess;
  adminToken: string;
  /** Every stdout line so far (JSON logs). */
  logs: string[];
  stderr: string[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts the real gateway process and waits for its `listening` log line. */
export async function startGateway(ws: Workspace, env: NodeJS.ProcessEnv = {}, extraArgs: string[] = []): Promise<RunningGateway> {
  const proc = spawn(process.execPath, [CLI, 'start', '--config', ws.config, ...extraArgs], {
    cwd: ws.dir,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let buf = '';
  const listening = new Promise<{ port: number }>((resolve, reject) => {
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        logs.push(line);
        try {
          const j = JSON.parse(line) as { msg?: string; port?: number };
          if (j.msg === 'listening' && j.port) resolve({ port: j.port });
        } catch {
          // not JSON
        }
      }
    });
    proc.stderr!.on('data', (d: Buffer) => stderr.push(d.toString('utf8')));
    void exited.then(({ code }) => reject(new Error(`gateway exited (${code}) before listening:\n${stderr.join('')}\n${logs.join('\n')}`)));
  });
  const { port } = await listening;
  const adminToken = readFileSync(join(ws.dataDir, 'admin.token'), 'utf8').trim();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    proc,
    adminToken,
    logs,
    stderr,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** Runs the real `warden` CLI and collects its output. */
export function cli(ws: Workspace, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args, '--config', ws.config], { cwd: ws.dir, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Creates a key for an agent through the CLI and returns it. */
export async function createKey(ws: Workspace, agentId: string, extra: string[] = []): Promise<{ key: string; keyId: string }> {
  const r = await cli(ws, ['agents', 'keys', 'create', agentId, '--json', ...extra]);
  if (r.code !== 0) throw new Error(`key create failed: ${r.stderr}`);
  const j = JSON.parse(r.stdout) as { key: string; keyId: string };
  return { key: j.key, keyId: j.keyId };
}

export function writeFile(path: string, text: string): void {
  writeFileSync(path, text);
}

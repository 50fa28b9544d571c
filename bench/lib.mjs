// Shared helpers for benchmarks: temp workspaces, starting the real gateway, percentiles.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../', import.meta.url));
/**
 * The gateway the benchmarks start: `dist/`, or WARDEN_BENCH_DIST for an A/B run: a copy of an
 * earlier build beside it in the repository (e.g. `dist-base`, which .gitignore ignores), so that
 * its packages and package.json resolve as dist's do.
 */
export const CLI = join(process.env.WARDEN_BENCH_DIST ? join(REPO, process.env.WARDEN_BENCH_DIST) : join(REPO, 'dist'), 'cli/main.js');

/**
 * The node flags `npm start` gives the gateway (package.json's start script), so that the
 * benchmarks start Warden with the same flags (with this node, process.execPath, not the one on
 * PATH). WARDEN_BENCH_NODE_FLAGS replaces them for an A/B run ("" for none). Read when a gateway
 * starts, so benchmarks that never start one do not depend on the start script.
 */
export function gatewayNodeFlags() {
  if (process.env.WARDEN_BENCH_NODE_FLAGS !== undefined) return process.env.WARDEN_BENCH_NODE_FLAGS.split(/\s+/).filter(Boolean);
  const script = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).scripts?.start ?? '';
  const m = /^(?:exec\s+)?node((?:\s+--[^\s=]+(?:=\S+)?)*)\s+(?:\.\/)?dist\/cli\/main\.js\s+start(?:\s|$)/.exec(script.trim());
  if (!m) throw new Error(`package.json's start script is not "[exec] node [--flag[=value] ...] dist/cli/main.js start": ${script}`);
  return m[1].split(/\s+/).filter(Boolean);
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${cpu}${cpuGeneration()}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}

/**
 * The virtual machines here all report "Intel(R) Xeon(R) Processor", whatever the host's
 * generation and clock: the family and model numbers and the clock tell runs on different
 * hosts apart.
 */
function cpuGeneration() {
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    const family = /^cpu family\s*:\s*(\d+)/m.exec(info)?.[1];
    const model = /^model\s*:\s*(\d+)/m.exec(info)?.[1];
    const mhz = /^cpu MHz\s*:\s*([\d.]+)/m.exec(info)?.[1];
    return family && model ? ` (family ${family} model ${model}${mhz ? `, ${Math.round(Number(mhz))} MHz` : ''})` : '';
  } catch {
    return '';
  }
}

export function workspace({ catalog = join(REPO, 'agents-catalog'), config = '' } = {}) {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-bench-'));
  mkdirSync(join(dir, 'agents-catalog'), { recursive: true });
  if (catalog) cpSync(catalog, join(dir, 'agents-catalog'), { recursive: true });
  writeFileSync(join(dir, 'warden.yaml'), `listen: { host: 127.0.0.1, port: 0 }\nlog: { level: info, pretty: never }\n${config}`);
  return { dir, config: join(dir, 'warden.yaml'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function cli(ws, args) {
  return execFileSync(process.execPath, [CLI, ...args, '--config', ws.config], { cwd: ws.dir, encoding: 'utf8' });
}

/** Starts the gateway; resolves once its `listening` log line names the port. */
export async function start(ws) {
  const proc = spawn(process.execPath, [...gatewayNodeFlags(), CLI, 'start', '--config', ws.config, '--port', '0'], { cwd: ws.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    proc.stdout.on('data', (d) => {
      buf += d;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const j = JSON.parse(line);
          if (j.msg === 'listening') resolve(j.port);
        } catch {}
      }
    });
    proc.once('exit', () => reject(new Error(`gateway exited: ${stderr}`)));
  });
  return { proc, url: `http://127.0.0.1:${port}`, adminToken: readFileSync(join(ws.dir, 'data/admin.token'), 'utf8').trim() };
}

export function stop(proc) {
  return new Promise((resolve) => {
    proc.once('exit', resolve);
    proc.kill('SIGTERM');
  });
}

/** The port a child process (an upstream, a reference proxy) prints as its first line "LISTENING <port>". */
export function listeningPort(proc, what, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not listen within ${timeoutMs / 1000} s`)), timeoutMs);
    proc.stdout.once('data', (d) => {
      clearTimeout(timer);
      const m = /LISTENING (\d+)/.exec(String(d));
      if (m) resolve(Number(m[1]));
      else reject(new Error(`${what} said: ${d}`));
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}`));
    });
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarize(samplesMs) {
  const s = [...samplesMs].sort((a, b) => a - b);
  const mean = s.reduce((a, b) => a + b, 0) / s.length;
  return { n: s.length, mean, p50: percentile(s, 50), p90: percentile(s, 90), p99: percentile(s, 99) };
}

export function rssKiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : NaN;
}

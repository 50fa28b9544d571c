// Starting and stopping the servers the conformance runner tests.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect } from 'node:net';
import { createInterface } from 'node:readline';

/** A child process that keeps its last output lines for error messages. */
export function startChild(command, args, { cwd, env } = {}) {
  const child = spawn(command, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail = [];
  const keep = (line) => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
  };
  const stdoutLines = createInterface({ input: child.stdout });
  createInterface({ input: child.stderr }).on('line', keep);
  stdoutLines.on('line', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    child,
    stdoutLines,
    exited,
    output: () => tail.join('\n'),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** Resolves with the first stdout line `match` accepts (returning a value), or rejects on exit or timeout. */
export function waitForLine(proc, match, { timeoutMs = 20_000, what = 'the process' } = {}) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`${what} did not start within ${timeoutMs} ms:\n${proc.output()}`)), timeoutMs);
    const onLine = (line) => {
      const value = match(line);
      if (value !== undefined) finish(undefined, value);
    };
    function finish(err, value) {
      clearTimeout(timer);
      proc.stdoutLines.off('line', onLine);
      if (err) reject(err);
      else resolve(value);
    }
    proc.stdoutLines.on('line', onLine);
    void proc.exited.then(({ code, signal }) => finish(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${proc.output()}`)));
  });
}

/** Parses a JSON log line, or undefined for any other line. */
export function jsonLine(line) {
  try {
    const value = JSON.parse(line);
    return value && typeof value === 'object' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A port that was free a moment ago, for servers that cannot bind port 0 themselves. */
export async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/** Waits until something accepts TCP connections on the port, failing if `proc` exits first. */
export async function waitForPort(port, proc, { timeoutMs = 20_000, what = 'the process' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void proc.exited.then(() => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${what} exited before listening:\n${proc.output()}`);
    const open = await new Promise((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not listen on port ${port} within ${timeoutMs} ms:\n${proc.output()}`);
}

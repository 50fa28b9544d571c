import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { GatewayError } from '../../errors/gateway-error.js';
import type { JsonRpcMessage, JsonRpcNotification, JsonRpcRequest, JsonRpcResponse } from '../jsonrpc.js';
import { findTopLevelId, LineSplitter } from './line-splitter.js';
import type { PendingRequest } from './peer.js';
import { TokenBucket } from '../../util/token-bucket.js';
import type { UpstreamWire, WireContext } from './wire.js';
import { redactSecrets } from '../../util/redact-secrets.js';

/** Bytes queued for a process that does not read its stdin before requests fail instead. */
const MAX_STDIN_BACKLOG = 8 * 1024 * 1024;
const STDERR_LINE_BYTES = 1024;
const STDERR_LINES_PER_SECOND = 20;
/** After stdin closes, how long a process may take to exit before SIGTERM, and then SIGKILL. */
const EXIT_GRACE_MS = 300;
const KILL_GRACE_MS = 2000;
const EMPTY = Buffer.alloc(0);

/**
 * A local MCP server process: newline-delimited JSON on stdin/stdout, stderr to the log.
 * The command runs as argv (never a shell) with only PATH, HOME, LANG and the configured
 * variables in its environment.
 */
export class StdioWire implements UpstreamWire {
  readonly #ctx: WireContext;
  #child: ChildProcessWithoutNullStreams | null = null;
  #closing = false;
  #closed = false;
  #exited: Promise<void> = Promise.resolve();

  constructor(ctx: WireContext) {
    this.#ctx = ctx;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  open(): Promise<void> {
    const { config, log } = this.#ctx;
    const child = spawn(config.command!, config.args, {
      shell: false,
      env: this.#ctx.values,
      cwd: config.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    this.#child = child;
    this.#exited = new Promise((resolve) => child.once('close', () => resolve()));

    const max = config.maxResultBytes;
    // An id at the start of an oversized line fails its request at once, not after the
    // whole line (maybe gigabytes) has gone by; an id at the end is found when it ends.
    let earlyId: number | undefined;
    const stdout = new LineSplitter(max, {
      line: (line) => this.#line(line),
      overflowing: (head) => {
        earlyId = findTopLevelId(head, EMPTY);
        if (earlyId !== undefined) this.#ctx.peer.oversized(earlyId, max + 1, max);
      },
      oversized: (head, tail, bytes) => {
        if (earlyId === undefined) this.#ctx.peer.oversized(findTopLevelId(head, tail), bytes, max);
        earlyId = undefined;
      },
    });
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));

    const stderrBucket = new TokenBucket(STDERR_LINES_PER_SECOND, STDERR_LINES_PER_SECOND * 2);
    const stderrLog = log.child({ stream: 'stderr' }); // the client's log names the upstream already
    const logLine = (text: string) => {
      if (!stderrBucket.take()) return;
      const dropped = stderrBucket.drainDropped();
      // A process that prints its environment must not put its secrets in the gateway's log.
      stderrLog.info(dropped ? { dropped } : {}, redactSecrets(text.slice(0, STDERR_LINE_BYTES), this.#ctx.secrets));
    };
    const stderr = new LineSplitter(STDERR_LINE_BYTES, {
      line: (line) => {
        if (line.length > 0) logLine(line.toString('utf8'));
      },
      oversized: (head) => logLine(`${head.toString('utf8', 0, STDERR_LINE_BYTES)} [clipped]`),
    });
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
    // EPIPE after the process died: the exit handler reports it.
    child.stdin.on('error', () => {});

    return new Promise((resolve, reject) => {
      let started = false;
      child.once('spawn', () => {
        started = true;
        resolve();
      });
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (!started) {
          this.#closed = true;
          reject(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id} could not be started (${err.code ?? 'error'})`, { cause: err }));
        }
      });
      // 'close', not 'exit': stdout is drained by then, so a last response is not lost.
      child.once('close', (code, signal) => {
        if (!started) return;
        this.#gone(new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${config.id} exited`, { details: { exitCode: code, signal } }));
      });
    });
  }

  negotiated(): void {}

  sendRequest(message: JsonRpcRequest, request: PendingRequest): void {
    if (!this.#write(message)) {
      this.#ctx.peer.fail(request, new GatewayError('UPSTREAM_UNAVAILABLE', `Upstream ${this.#ctx.config.id} is not reading its input`));
    } else request.written();
  }

  sendNotification(message: JsonRpcNotification): void {
    this.#write(message);
  }

  sendResponse(message: JsonRpcResponse): void {
    this.#write(message);
  }

  async close(): Promise<void> {
    const child = this.#child;
    this.#closing = true;
    if (!child || this.#closed) return;
    child.stdin.end();
    const exited = this.#exited;
    if (await settlesWithin(exited, EXIT_GRACE_MS)) return;
    child.kill('SIGTERM');
    if (await settlesWithin(exited, KILL_GRACE_MS)) return;
    child.kill('SIGKILL');
    await exited;
  }

  #write(message: JsonRpcMessage): boolean {
    const child = this.#child;
    if (!child || this.#closed || this.#closing) return false;
    if (child.stdin.writableLength > MAX_STDIN_BACKLOG) return false;
    child.stdin.write(JSON.stringify(message) + '\n');
    return true;
  }

  #line(line: Buffer): void {
    if (line.length > 0) this.#ctx.peer.receiveText(line.toString('utf8'), line.length);
  }

  #gone(reason: GatewayError): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#closing) this.#ctx.onClosed(reason);
  }
}

function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

import { PassThrough } from 'node:stream';
import { readFile } from 'node:fs/promises';
import { StreamableHTTPClientTransport, type JSONRPCMessage } from '@modelcontextprotocol/client';
import { StdioServerTransport } from '@modelcontextprotocol/server/stdio';
import { META } from '../mcp/protocol/versions.js';
import { configFrom, describeFsError, parse, UsageError, type Io } from './common.js';
import { MCP_STDIO_HELP } from './help-texts.js';

const DEFAULT_URL = 'http://127.0.0.1:8080/mcp';
const DEFAULT_KEY_ENV = 'WARDEN_AGENT_KEY';

type JsonRpcId = string | number;

/** Messages held while initialize is out; a client that sends more without waiting has its requests answered with an error. */
const MAX_HELD = 1000;

/** After stdin ends, how long answers to requests already sent are still awaited. */
const IN_FLIGHT_DRAIN_MS = 30_000;

/** Runs until stdin closes (or a signal); resolves with the process exit code. */
export async function mcpStdioCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { url: { type: 'string' }, 'key-env': { type: 'string' }, 'key-file': { type: 'string' } }, false);
  if (values.help) {
    io.out.write(`${MCP_STDIO_HELP}\n`);
    return 0;
  }
  const url = await gatewayUrl(values);
  const key = await agentKey(values);
  const bridge = new Bridge(url, key, io.err);
  return bridge.run();
}

async function gatewayUrl(values: Record<string, unknown>): Promise<URL> {
  if (values.url !== undefined && values.config !== undefined) throw new UsageError('give --url or --config, not both');
  let text = values.url as string | undefined;
  if (text === undefined && (values.config !== undefined || values.host !== undefined || values.port !== undefined)) {
    const { listen } = await configFrom(values);
    text = `http://${connectHost(listen.host)}:${listen.port}/mcp`;
  }
  try {
    const url = new URL(text ?? DEFAULT_URL);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
    return url;
  } catch {
    throw new UsageError(`--url must be an http(s) URL: ${text}`);
  }
}

/** Where to connect to reach a listen address (a wildcard listen is reached on loopback). */
function connectHost(listenHost: string): string {
  if (listenHost === '0.0.0.0' || listenHost === '') return '127.0.0.1';
  if (listenHost === '::') return '[::1]';
  return listenHost.includes(':') && !listenHost.startsWith('[') ? `[${listenHost}]` : listenHost;
}

/** The agent key: from an environment variable or a file, so it never shows in `ps`. */
async function agentKey(values: Record<string, unknown>): Promise<string> {
  const file = values['key-file'] as string | undefined;
  if (file !== undefined && values['key-env'] !== undefined) throw new UsageError('give --key-env or --key-file, not both');
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the key file ${file}: ${describeFsError(err)}`);
    }
    const key = text.trim();
    if (key === '' || /\s/.test(key)) throw new Error(`the key file ${file} must hold exactly one key`);
    return key;
  }
  const name = (values['key-env'] as string | undefined) ?? DEFAULT_KEY_ENV;
  const key = process.env[name]?.trim();
  if (!key) throw new UsageError(`no agent key: set ${name} (or use --key-env VAR / --key-file FILE)`);
  return key;
}

/**
 * The two SDK transports joined back to back at the message level (no Protocol layer, so
 * nothing is reinterpreted): stdio faces the local client, Streamable HTTP the gateway.
 * The HTTP transport derives the 2026-07-28 headers from each enveloped message and keeps
 * the 2025-11-25 session (Mcp-Session-Id, the GET stream after initialized) by itself; the
 * bridge only tells it the negotiated version, which a Protocol layer would have done.
 */
class Bridge {
  /**
   * The local client's stdin, held open after the real stdin ends until the answers to the
   * requests already sent have come back (`echo '{...}' | warden mcp-stdio` gets its answer).
   */
  readonly #stdin = new PassThrough();
  readonly #local = new StdioServerTransport(this.#stdin, process.stdout);
  readonly #remote: StreamableHTTPClientTransport;
  readonly #url: URL;
  readonly #err: NodeJS.WritableStream;
  /** Requests on their way to the gateway, by the local client's id. */
  readonly #inFlight = new Map<JsonRpcId, { modern: boolean; abort: AbortController }>();
  #initializeId: JsonRpcId | null = null;
  /**
   * Messages that came in while initialize was on its way: sent once its answer (with the
   * 2025-11-25 session id the transport then adds to them) is back, in order. A client that
   * writes everything at once (a piped one-shot) would otherwise have them refused for a
   * missing session.
   */
  #afterInitialize: JSONRPCMessage[] | null = null;
  /** Set once the local client is gone: the aborts the bridge makes itself from then on are not errors. */
  #closing = false;

  constructor(url: URL, key: string, err: NodeJS.WritableStream) {
    this.#url = url;
    this.#err = err;
    this.#remote = new StreamableHTTPClientTransport(url, { requestInit: { headers: { authorization: `Bearer ${key}` } } });
  }

  async run(): Promise<number> {
    const finished = new Promise<void>((resolve) => {
      this.#local.onclose = () => resolve();
      const stop = () => void this.#local.close();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    process.stdin.pipe(this.#stdin, { end: false });
    process.stdin.once('end', () => {
      void this.#drained(IN_FLIGHT_DRAIN_MS).then(() => this.#stdin.end());
    });
    this.#local.onmessage = (m) => this.#toGateway(m);
    this.#local.onerror = (e) => this.#warn(`local client: ${e.message}`);
    this.#remote.onmessage = (m) => this.#toLocal(m);
    this.#remote.onerror = (e) => {
      if (!this.#closing) this.#warn(`gateway: ${e.message}`);
    };
    await this.#remote.start();
    await this.#local.start();
    await finished;
    this.#closing = true;
    for (const f of this.#inFlight.values()) f.abort.abort();
    // The session (2025-11-25) ends with the local client rather than idling out at the gateway.
    await this.#remote.terminateSession().catch(() => undefined);
    await this.#remote.close();
    return 0;
  }

  /** Resolves once no request awaits its answer, or after `ms`. */
  async #drained(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.#inFlight.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  #toGateway(message: JSONRPCMessage): void {
    const m = message as { id?: JsonRpcId; method?: string; params?: Record<string, unknown> };
    // Held while initialize is out, except a cancel of initialize itself.
    if (this.#afterInitialize !== null && !(m.method === 'notifications/cancelled' && m.params?.requestId === this.#initializeId)) {
      if (this.#afterInitialize.length < MAX_HELD) this.#afterInitialize.push(message);
      else if (m.method !== undefined && m.id !== undefined) {
        this.#answer({ jsonrpc: '2.0', id: m.id, error: { code: -32603, message: `warden mcp-stdio: more than ${MAX_HELD} messages sent before initialize was answered` } });
      }
      return;
    }
    if (m.method === 'notifications/cancelled') {
      // 2026-07-28 has no session to cancel in: closing the request's HTTP stream is the cancellation.
      const target = this.#inFlight.get(m.params?.requestId as JsonRpcId);
      if (target?.modern) return target.abort.abort();
    }
    if (m.method === undefined || m.id === undefined) {
      this.#remote.send(message).catch(() => undefined); // notifications and responses: onerror has reported it
      return;
    }
    const id = m.id;
    if (m.method === 'initialize') {
      this.#initializeId = id;
      this.#afterInitialize = [];
    }
    const flight = { modern: typeof (m.params?._meta as Record<string, unknown> | undefined)?.[META.protocolVersion] === 'string', abort: new AbortController() };
    this.#inFlight.set(id, flight);
    this.#remote.send(message, { requestSignal: flight.abort.signal }).catch((err: unknown) => {
      if (this.#inFlight.get(id) !== flight) return;
      this.#inFlight.delete(id);
      if (!flight.abort.signal.aborted) this.#answer(errorResponse(id, err, this.#url));
      // Aborted (the bridge is closing): what waited for it is dropped, not sent to a closing transport.
      if (id === this.#initializeId) this.#initialized(!flight.abort.signal.aborted);
    });
  }

  // initialize answered (or failed): what waited for it goes out now, in order.
  #initialized(send = true): void {
    this.#initializeId = null;
    const waiting = this.#afterInitialize ?? [];
    this.#afterInitialize = null;
    if (send) for (const m of waiting) this.#toGateway(m);
  }

  #toLocal(message: JSONRPCMessage): void {
    const m = message as { id?: JsonRpcId; method?: string; result?: { protocolVersion?: unknown } };
    if (m.method === undefined && m.id !== undefined) {
      this.#inFlight.delete(m.id);
      if (m.id === this.#initializeId) {
        if (typeof m.result?.protocolVersion === 'string') this.#remote.setProtocolVersion(m.result.protocolVersion);
        this.#answer(message);
        this.#initialized();
        return;
      }
    }
    this.#answer(message);
  }

  #answer(message: JSONRPCMessage): void {
    this.#local.send(message).catch((e: Error) => this.#warn(`could not write to the local client: ${e.message}`));
  }

  #warn(text: string): void {
    this.#err.write(`warden mcp-stdio: ${text.replace(/[\r\n]+/g, ' ').slice(0, 2000)}\n`);
  }
}

/**
 * The JSON-RPC error the local client gets when the gateway refused a request at the HTTP
 * level (or could not be reached): the gateway's own JSON-RPC error when its body is one.
 */
export function errorResponse(id: JsonRpcId, err: unknown, url: URL): JSONRPCMessage {
  const data = (err as { data?: { status?: number; text?: string | null } }).data;
  if (typeof data?.text === 'string') {
    try {
      const body = JSON.parse(data.text) as { error?: { code?: unknown; message?: unknown; data?: unknown } };
      if (typeof body.error?.code === 'number' && typeof body.error.message === 'string') {
        return { jsonrpc: '2.0', id, error: { code: body.error.code, message: body.error.message, ...(body.error.data !== undefined ? { data: body.error.data } : {}) } };
      }
    } catch {
      // not JSON: described below
    }
  }
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const reason =
    data?.status !== undefined ? `the gateway answered HTTP ${data.status}` : `the gateway at ${url.origin} could not be reached (${cause?.code ?? cause?.message ?? (err as Error).message})`;
  return { jsonrpc: '2.0', id, error: { code: -32603, message: `warden mcp-stdio: ${reason}` } };
}

import { Worker } from 'node:worker_threads';
import type { Measured } from './chat-prompt.js';
import type { EncodingName } from './model-encoding.js';
import type { TokenizedMsg, TokenizeMsg } from './tokenizer-protocol.js';

/** Exact token counts of texts in one of OpenAI's encodings. */
export interface ExactTokenizer {
  /**
   * One result per text, in order. `scope` (an agent) takes its turn with the other scopes
   * waiting: one agent's slow prompts cannot hold up every other agent's counts.
   */
  count(encoding: EncodingName, texts: readonly string[], scope?: string): Promise<Measured[]>;
  /** Loads the encoding now rather than at its first count. */
  load(encoding: EncodingName): Promise<void>;
}

/**
 * A count takes about 100 ms at most (TokenCounterOptions.maxExactBytes; a few hundred on a
 * slow host), a first load about 130 ms: a thread that has answered nothing for this long
 * while counts wait is presumed stuck, stopped, and replaced at the next count. No longer
 * than a policy may take to decide (POLICY_TIMEOUT_MS, 5 s), so the forward step and usage
 * settlement, which have no such timeout, do not wait longer than the policies would.
 */
export const STUCK_MS = 5_000;

/**
 * A thread that ended before answering anything (a missing or broken worker file) is not
 * started again for this long: counts fail at once meanwhile, instead of each paying for a
 * thread that cannot work.
 */
export const RETRY_AFTER_MS = 1_000;

/**
 * Text (UTF-16 units) one scope (agent) may have waiting to be counted; a count that would
 * pass it fails at once (the policy that asked answers 503 OVERLOADED), so a flood of prompts
 * made to be slow is refused instead of queued, while a burst of ordinary prompts waits. A
 * count is always admitted when its scope has nothing waiting. About a second of the
 * thread's time on text made to be slow, a few milliseconds on prose.
 */
export const MAX_WAITING_TEXT_PER_SCOPE = 1024 * 1024;
/** Counts handed to the thread at a time: one counting, one ready behind it. */
const AT_THE_THREAD = 2;

interface Job {
  encoding: EncodingName;
  texts: string[];
  size: number;
  resolve: (m: TokenizedMsg) => void;
  reject: (err: Error) => void;
}

// Under vitest this module runs from src/*.ts; the worker must be compiled JS from dist.
function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../../dist/llm/tokens/tokenizer-worker.js', here) : new URL('./tokenizer-worker.js', here);
}

interface Pending {
  resolve: (m: TokenizedMsg) => void;
  reject: (err: Error) => void;
}

/**
 * The gateway's side of the tokenizer thread (tokenizer-worker.ts). The thread starts with
 * the first load or count, holds the process open only while counts wait, and is started
 * again (loading the encodings loaded before) after it exits or is stopped as stuck; the
 * counts waiting then fail. One that ended without answering is retried only after
 * RETRY_AFTER_MS. Counts run one at a time; callers (scopes) waiting take turns, each with at
 * most MAX_WAITING_TEXT_PER_SCOPE of text waiting.
 */
export class TokenizerThread implements ExactTokenizer {
  readonly #url: URL;
  readonly #stuckMs: number;
  readonly #retryAfterMs: number;
  readonly #pending = new Map<number, Pending>();
  /** Encodings asked for, loaded again by a replacement thread. */
  readonly #encodings = new Set<EncodingName>();
  #worker: Worker | null = null;
  /** Set when a thread ended without answering: no new one before `until`. */
  #broken: { until: number; reason: string } | null = null;
  #watchdog: NodeJS.Timeout | undefined;
  #nextId = 1;
  /** Counts not yet handed to the thread, per scope; the map's order is the scopes' turns. */
  readonly #waiting = new Map<string, Job[]>();
  readonly #maxWaiting: number;
  /** Text waiting per scope (Job.size summed), for the cap. */
  readonly #waitingText = new Map<string, number>();
  #atThread = 0;
  readonly #atThreadBy = new Map<string, number>();

  constructor(opts: { url?: URL; stuckMs?: number; retryAfterMs?: number; maxWaitingTextPerScope?: number } = {}) {
    this.#url = opts.url ?? workerUrl();
    this.#stuckMs = opts.stuckMs ?? STUCK_MS;
    this.#retryAfterMs = opts.retryAfterMs ?? RETRY_AFTER_MS;
    this.#maxWaiting = opts.maxWaitingTextPerScope ?? MAX_WAITING_TEXT_PER_SCOPE;
  }

  async count(encoding: EncodingName, texts: readonly string[], scope = ''): Promise<Measured[]> {
    if (texts.length === 0) return [];
    const [, tokens, flags] = await new Promise<TokenizedMsg>((resolve, reject) => {
      let size = 0;
      for (const t of texts) size += t.length;
      const waiting = this.#waitingText.get(scope) ?? 0;
      if (waiting > 0 && waiting + size > this.#maxWaiting) return reject(new Error(`tokenizer: too much text of this caller already waiting to be counted`));
      let queue = this.#waiting.get(scope);
      if (!queue) this.#waiting.set(scope, (queue = []));
      queue.push({ encoding, texts: texts as string[], size, resolve, reject });
      addTo(this.#waitingText, scope, size);
      this.#pump();
    });
    if (tokens?.length !== texts.length || flags?.length !== texts.length) throw new Error('tokenizer thread answered the wrong number of counts');
    return tokens.map((t, i) => ({ tokens: t, flags: flags[i]! }));
  }

  async load(encoding: EncodingName): Promise<void> {
    await this.#ask(encoding, null);
  }

  /** The encodings the thread has loaded (none before it starts). */
  async loaded(): Promise<EncodingName[]> {
    if (this.#worker === null) return [];
    return (await this.#ask(null, null))[4] ?? [];
  }

  // Hands waiting counts to the thread: next is the waiting scope with the fewest counts at
  // the thread already (among equals, the one served longest ago: a scope served moves to the
  // back of the map), so a caller that just arrived goes before one whose counts keep coming.
  #pump(): void {
    while (this.#atThread < AT_THE_THREAD && this.#waiting.size > 0) {
      let scope = '';
      let queue: Job[] = [];
      let fewest = Infinity;
      for (const [s, q] of this.#waiting) {
        const at = this.#atThreadBy.get(s) ?? 0;
        if (at < fewest) [scope, queue, fewest] = [s, q, at];
      }
      const job = queue.shift()!;
      this.#waiting.delete(scope);
      if (queue.length > 0) this.#waiting.set(scope, queue);
      addTo(this.#waitingText, scope, -job.size);
      this.#atThread++;
      addTo(this.#atThreadBy, scope, 1);
      let asked: Promise<TokenizedMsg>;
      try {
        asked = this.#ask(job.encoding, job.texts);
      } catch (err) {
        // Starting a thread can throw (no thread could be created): the slot is given back all the same.
        asked = Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      asked.then(job.resolve, job.reject).finally(() => {
        this.#atThread--;
        addTo(this.#atThreadBy, scope, -1);
        this.#pump();
      });
    }
  }

  /** Stops the thread; counts still waiting fail. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = null;
    this.#failAll(new Error('tokenizer thread closed'));
    await worker?.terminate();
  }

  #ask(encoding: EncodingName | null, texts: string[] | null): Promise<TokenizedMsg> {
    if (this.#worker === null && this.#broken !== null && Date.now() < this.#broken.until) {
      return Promise.reject(new Error(`tokenizer thread unavailable: ${this.#broken.reason}`));
    }
    const worker = this.#worker ?? this.#start();
    // Added after a start, which loads those asked for before: this one goes in the message.
    if (encoding !== null) this.#encodings.add(encoding);
    const id = this.#nextId++;
    return new Promise<TokenizedMsg>((resolve, reject) => {
      if (this.#pending.size === 0) {
        worker.ref();
        this.#watchdog = setTimeout(() => this.#stuck(worker), this.#stuckMs).unref();
      }
      this.#pending.set(id, { resolve, reject });
      try {
        worker.postMessage([id, encoding, texts] satisfies TokenizeMsg);
      } catch (err) {
        this.#settle(id);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  #start(): Worker {
    const worker = new Worker(this.#url);
    worker.unref();
    let failure: string | null = null;
    let answered = false;
    worker.on('message', (m: TokenizedMsg) => {
      if (this.#worker !== worker) return; // a late answer of a thread already replaced
      answered = true;
      this.#broken = null;
      const p = this.#settle(m[0]);
      this.#watchdog?.refresh();
      if (!p) return;
      if (m[3] !== null) p.reject(new Error(`tokenizer: ${m[3]}`));
      else p.resolve(m);
    });
    worker.on('error', (err) => {
      failure = err.message;
    });
    worker.on('exit', (code) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      const reason = `tokenizer thread exited (code ${code})${failure ? `: ${failure}` : ''}`;
      if (!answered) this.#broken = { until: Date.now() + this.#retryAfterMs, reason };
      this.#failAll(new Error(reason));
    });
    this.#worker = worker;
    // Id 0 is never waited for: these loads only warm the new thread up.
    for (const e of this.#encodings) worker.postMessage([0, e, null] satisfies TokenizeMsg);
    return worker;
  }

  #stuck(worker: Worker): void {
    if (this.#worker !== worker) return;
    this.#worker = null;
    this.#failAll(new Error(`tokenizer thread answered nothing for ${this.#stuckMs} ms; restarted`));
    void worker.terminate();
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (!p) return undefined;
    this.#pending.delete(id);
    if (this.#pending.size === 0) this.#idle();
    return p;
  }

  #idle(): void {
    clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    this.#worker?.unref();
  }

  #failAll(err: Error): void {
    const waiting = [...this.#pending.values()];
    this.#pending.clear();
    this.#idle();
    // Counts not yet handed over fail with those the thread had: all waited on this thread.
    const queued = [...this.#waiting.values()].flat();
    this.#waiting.clear();
    this.#waitingText.clear();
    for (const p of waiting) p.reject(err);
    for (const j of queued) j.reject(err);
  }
}

/** Adds `n` to a per-scope tally; a scope at 0 leaves the map, so idle agents cost nothing. */
function addTo(tally: Map<string, number>, scope: string, n: number): void {
  const now = (tally.get(scope) ?? 0) + n;
  if (now > 0) tally.set(scope, now);
  else tally.delete(scope);
}

let shared: TokenizerThread | undefined;

/** The process's tokenizer thread: one set of vocabularies, however many counters use it. */
export function sharedTokenizer(): TokenizerThread {
  shared ??= new TokenizerThread();
  return shared;
}

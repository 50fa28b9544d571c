/**
 * Runs analyzeSpec in a worker thread: parsing and dereferencing a spec of a thousand
 * operations takes the best part of a second of CPU, which on the main thread would stall
 * every request in flight (and trip the event-loop-lag shedder). One worker, started when
 * there is work and stopped when idle; a crash fails the analyses in flight, not the gateway.
 */
import { Worker } from 'node:worker_threads';
import type { AnalyzeRequest, AnalyzeResult } from './analyze-spec.js';

const IDLE_MS = 10_000;
const TIMEOUT_MS = 120_000;

function workerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/openapi/analyzer-worker.js', here) : new URL('./analyzer-worker.js', here);
}

interface Pending {
  resolve: (r: AnalyzeResult) => void;
  file: string;
  timer: NodeJS.Timeout;
}

export class SpecAnalyzer {
  #worker: Worker | null = null;
  #next = 0;
  readonly #pending = new Map<number, Pending>();
  #idle: NodeJS.Timeout | null = null;
  #closed = false;

  analyze(req: AnalyzeRequest): Promise<AnalyzeResult> {
    if (this.#closed) return Promise.resolve(failed(req.specFile, 'the gateway is stopping'));
    const worker = this.#ensure();
    if (this.#idle) clearTimeout(this.#idle);
    const id = ++this.#next;
    return new Promise<AnalyzeResult>((resolve) => {
      const timer = setTimeout(() => {
        this.#settle(id, failed(req.specFile, `analysis took longer than ${TIMEOUT_MS / 1000} s`));
        this.#stop();
      }, TIMEOUT_MS).unref();
      this.#pending.set(id, { resolve, file: req.specFile, timer });
      worker.postMessage({ id, req });
    });
  }

  /** Stops the worker once nothing is in flight (its heap is returned); the next analysis starts a new one. */
  release(): void {
    if (this.#pending.size === 0) this.#stop();
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#stop();
  }

  #ensure(): Worker {
    if (this.#worker) return this.#worker;
    // Specs are untrusted and large: bound the thread's heap so a pathological one fails alone.
    const worker = new Worker(workerUrl(), { resourceLimits: { maxOldGenerationSizeMb: 1024 } });
    worker.unref();
    worker.on('message', (m: { id: number; result: AnalyzeResult }) => {
      this.#settle(m.id, m.result);
      if (this.#pending.size === 0 && !this.#closed) this.#idle = setTimeout(() => this.#stop(), IDLE_MS).unref();
    });
    const fail = (why: string) => {
      if (this.#worker !== worker) return;
      this.#worker = null;
      for (const [id, p] of [...this.#pending]) this.#settle(id, failed(p.file, why));
    };
    worker.on('error', (err) => fail(`the analyzer failed: ${err.message.slice(0, 200)}`));
    worker.on('exit', (code) => fail(`the analyzer stopped (exit code ${code})`));
    this.#worker = worker;
    return worker;
  }

  #settle(id: number, result: AnalyzeResult): void {
    const p = this.#pending.get(id);
    if (!p) return;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    p.resolve(result);
  }

  #stop(): void {
    const w = this.#worker;
    if (this.#idle) clearTimeout(this.#idle);
    this.#idle = null;
    if (!w) return;
    this.#worker = null;
    for (const [id, p] of [...this.#pending]) this.#settle(id, failed(p.file, 'the analyzer was stopped'));
    void w.terminate();
  }
}

function failed(file: string, message: string): AnalyzeResult {
  return { ok: false, issues: [{ file, path: '(import)', message }] };
}

import { Worker } from 'node:worker_threads';
import type { ChainHead } from './append.js';
import { loadSigningKey } from './checkpoint.js';
import type { AuditSinkOptions } from './sink-types.js';
import type { FromWriter, WriterInit } from './writer-protocol.js';

// Under vitest the module runs from src/*.ts; the worker must be compiled JS from dist.
function writerUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../../dist/audit/writer-worker.js', here) : new URL('./writer-worker.js', here);
}

/** Sink options with defaults applied (those of the `audit` config section). */
export function writerInit(opts: AuditSinkOptions): WriterInit {
  const pem = opts.checkpoint?.signingKeyPem ?? null;
  if (pem) loadSigningKey(pem); // fail fast, in the caller's thread, with a clear message
  return {
    dbPath: opts.dbPath,
    durability: opts.durability ?? 'normal',
    maxBatch: opts.maxBatch ?? 512,
    busyTimeoutMs: opts.busyTimeoutMs ?? 1000,
    walSyncMs: opts.walSyncMs ?? 100,
    identityCheckMs: opts.identityCheckMs ?? 1000,
    checkpoint: {
      everyRecords: opts.checkpoint?.everyRecords ?? 1000,
      everySeconds: opts.checkpoint?.everySeconds ?? 60,
      file: opts.checkpoint?.file ?? null,
      signingKeyPem: pem,
    },
  };
}

/**
 * Spawns the writer thread and waits until it has opened and migrated the database.
 * Rejects (and stops the thread) when it cannot: the caller must refuse to start.
 */
export async function startWriter(init: WriterInit, url: URL = writerUrl()): Promise<{ worker: Worker; head: ChainHead; warnings: string[] }> {
  const worker = new Worker(url, { workerData: init });
  const warnings: string[] = [];
  try {
    const head = await new Promise<ChainHead>((resolve, reject) => {
      const onMessage = (m: FromWriter): void => {
        if (Array.isArray(m)) return; // a commit: the writer only commits after 'ready'
        if (m.type === 'warn') return void warnings.push(m.message); // start-up warnings precede 'ready'
        cleanup();
        if (m.type === 'ready') resolve(m.head);
        else reject(new Error(`audit store cannot be opened: ${m.type === 'failed' ? m.message : m.type}`));
      };
      const onError = (err: Error): void => {
        cleanup();
        reject(new Error(`audit writer failed to start: ${err.message}`));
      };
      const onExit = (code: number): void => {
        cleanup();
        reject(new Error(`audit writer exited during start (code ${code})`));
      };
      const cleanup = (): void => {
        worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      };
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    });
    return { worker, head, warnings };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

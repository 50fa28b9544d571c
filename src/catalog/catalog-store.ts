/** The live catalog: loaded at start-up, swapped atomically when the folder changes. */
import { watch, type FSWatcher } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../config/issues.js';
import type { PolicySection } from './agent-schema.js';
import { diffCatalogs, isEmptyDiff, type CatalogDiff } from './catalog-diff.js';
import { folderFingerprint } from './catalog-files.js';
import type { Catalog } from './compile.js';
import { loadCatalog } from './load-catalog.js';
import { findSecretRefs } from './read-agent-file.js';

/** Options of CatalogStore.open; all optional. */
export interface CatalogStoreOptions {
  /** Where `{env}` secret references are looked up. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Sections this gateway enforces. Default: ENFORCED_SECTIONS. */
  enforced?: ReadonlySet<PolicySection>;
  /** A valid change was applied; `current()` already returns `catalog`. The caller logs and audits it. */
  onReload?: (catalog: Catalog, diff: CatalogDiff, warnings: ConfigIssue[]) => void | Promise<void>;
  /** A change was refused; the previous catalog keeps serving. Not repeated for the identical set of issues. */
  onRejected?: (issues: ConfigIssue[]) => void | Promise<void>;
  /** After a rejection, the folder is valid again with the content already served (the bad edit was undone). */
  onRecovered?: () => void | Promise<void>;
  /** Failures that are nobody's config mistake (a throwing callback, a watcher error). Default: process.emitWarning. */
  onError?: (err: unknown) => void;
  /** Quiet time after the last file event before reloading. Default 150 ms. */
  debounceMs?: number;
  /** Periodic rescan that catches events fs.watch missed; 0 disables. Default 5000 ms. */
  rescanIntervalMs?: number;
  /** Use fs.watch (default true). False relies on the rescan alone, for mounts where fs.watch does not work. */
  fsWatch?: boolean;
  now?: () => number;
}

/** What one reload did. */
export type ReloadOutcome =
  | { status: 'applied'; catalog: Catalog; diff: CatalogDiff; warnings: ConfigIssue[] }
  | { status: 'unchanged' }
  | { status: 'rejected'; issues: ConfigIssue[] };

/**
 * Holds the current catalog behind a single reference: a request reads `current()` once and
 * keeps that snapshot, so it sees the old or the new catalog, never a mix. Reloads are
 * serialized; bursts of file events collapse into one reload.
 */
export class CatalogStore {
  /** Absolute catalog folder. */
  readonly dir: string;
  readonly #opts: CatalogStoreOptions;
  #current: Catalog;
  #warnings: ConfigIssue[];
  #fingerprint = '';
  #lastRejected: string | null = null;
  #running: Promise<ReloadOutcome> | null = null;
  #queued: Promise<ReloadOutcome> | null = null;
  #watching = false;
  #watcher: FSWatcher | null = null;
  #debounce: NodeJS.Timeout | null = null;
  #burstStart = 0;
  #rescan: NodeJS.Timeout | null = null;
  #rescanning = false;

  private constructor(dir: string, opts: CatalogStoreOptions, catalog: Catalog, warnings: ConfigIssue[]) {
    this.dir = dir;
    this.#opts = opts;
    this.#current = catalog;
    this.#warnings = warnings;
  }

  /** Loads the catalog; throws ConfigError listing every issue when it is invalid. */
  static async open(dir: string, opts: CatalogStoreOptions = {}): Promise<CatalogStore> {
    const folder = resolve(dir);
    const fingerprint = await folderFingerprint(folder);
    const result = await loadCatalog(folder, { env: opts.env, enforced: opts.enforced, now: opts.now, version: 1 });
    if (!result.ok) throw new ConfigError('agent catalog', result.issues);
    const store = new CatalogStore(folder, opts, result.catalog, result.warnings);
    store.#fingerprint = fingerprint;
    return store;
  }

  /** The catalog to use for one request. Grab it once per request. */
  current(): Catalog {
    return this.#current;
  }

  /** Warnings of the current catalog (sections not enforced yet, unknown agent references). */
  get warnings(): readonly ConfigIssue[] {
    return this.#warnings;
  }

  /**
   * Reloads now. Never overlaps another reload: a call during one runs once it finishes,
   * and all calls made meanwhile share that single follow-up reload.
   */
  reload(): Promise<ReloadOutcome> {
    if (this.#queued) return this.#queued;
    if (!this.#running) return this.#start();
    const queued = this.#running.then(() => {
      this.#queued = null;
      return this.#start();
    });
    this.#queued = queued;
    return queued;
  }

  /** Starts watching the folder (fs.watch + periodic rescan). Timers never keep the process alive. */
  watch(): void {
    if (this.#watching) return;
    this.#watching = true;
    this.#startFsWatch();
    const every = this.#opts.rescanIntervalMs ?? 5000;
    if (every > 0) this.#rescan = setInterval(() => void this.#rescanTick(), every).unref();
  }

  /** Stops watching and waits for a reload in progress. `current()` keeps working. */
  async close(): Promise<void> {
    this.#watching = false;
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#rescan) clearInterval(this.#rescan);
    this.#debounce = this.#rescan = null;
    this.#stopFsWatch();
    await (this.#queued ?? this.#running);
  }

  #start(): Promise<ReloadOutcome> {
    const run = this.#reloadOnce();
    this.#running = run;
    void run.finally(() => {
      if (this.#running === run) this.#running = null;
    });
    return run;
  }

  async #reloadOnce(): Promise<ReloadOutcome> {
    const prev = this.#current;
    try {
      // Fingerprint before reading: a change made during the load shows up as a difference later.
      const fingerprint = await folderFingerprint(this.dir, this.#secretFiles(prev));
      const result = await loadCatalog(this.dir, { env: this.#opts.env, enforced: this.#opts.enforced, now: this.#opts.now, version: prev.version + 1 });
      this.#fingerprint = fingerprint;
      if (!result.ok) return await this.#reject(result.issues);
      const recovered = this.#lastRejected !== null;
      this.#lastRejected = null;
      const diff = diffCatalogs(prev, result.catalog);
      if (result.catalog.digest === prev.digest && isEmptyDiff(diff)) {
        if (recovered) await this.#call(() => this.#opts.onRecovered?.());
        return { status: 'unchanged' };
      }
      this.#current = result.catalog; // the one atomic swap
      this.#warnings = result.warnings;
      await this.#call(() => this.#opts.onReload?.(result.catalog, diff, result.warnings));
      return { status: 'applied', catalog: result.catalog, diff, warnings: result.warnings };
    } catch (err) {
      this.#report(err);
      const message = err instanceof Error ? err.message : String(err);
      return this.#reject([{ file: this.dir, path: '(folder)', message: `reload failed: ${message}` }]);
    }
  }

  async #reject(issues: ConfigIssue[]): Promise<ReloadOutcome> {
    const key = JSON.stringify(issues);
    // The same broken content seen again (a second save, a rescan) is not news.
    if (key !== this.#lastRejected) {
      this.#lastRejected = key;
      await this.#call(() => this.#opts.onRejected?.(issues));
    }
    return { status: 'rejected', issues };
  }

  /** Secret files the catalog reads, so the rescan also notices a rotated credential file. */
  #secretFiles(catalog: Catalog): string[] {
    const files = new Set<string>();
    for (const agent of catalog.agents.values()) {
      for (const { ref } of findSecretRefs(agent)) if ('file' in ref) files.add(isAbsolute(ref.file) ? ref.file : resolve(this.dir, ref.file));
    }
    return [...files].sort();
  }

  #schedule(): void {
    if (!this.#watching) return;
    const debounce = this.#opts.debounceMs ?? 150;
    const now = Date.now();
    if (this.#debounce) clearTimeout(this.#debounce);
    else this.#burstStart = now;
    // A writer that never pauses must not postpone the reload forever.
    const wait = Math.max(0, Math.min(debounce, this.#burstStart + debounce * 10 - now));
    this.#debounce = setTimeout(() => {
      this.#debounce = null;
      void this.reload();
    }, wait).unref();
  }

  async #rescanTick(): Promise<void> {
    if (this.#rescanning || this.#running || !this.#watching) return;
    this.#rescanning = true;
    try {
      const fingerprint = await folderFingerprint(this.dir, this.#secretFiles(this.#current));
      if (fingerprint !== this.#fingerprint && this.#watching) {
        // fs.watch missed this change, so it may be dead (e.g. the folder was replaced): renew it.
        this.#stopFsWatch();
        this.#startFsWatch();
        await this.reload();
      }
    } catch (err) {
      this.#report(err);
    } finally {
      this.#rescanning = false;
    }
  }

  #startFsWatch(): void {
    if (this.#opts.fsWatch === false || this.#watcher) return;
    try {
      const watcher = watch(this.dir, { persistent: false }, () => this.#schedule());
      watcher.on('error', () => {
        // Typically the folder went away; the rescan reports it and renews the watcher.
        this.#stopFsWatch();
        this.#schedule();
      });
      this.#watcher = watcher;
    } catch {
      // Folder missing right now: the rescan keeps trying.
    }
  }

  #stopFsWatch(): void {
    this.#watcher?.close();
    this.#watcher = null;
  }

  async #call(fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.#report(err);
    }
  }

  #report(err: unknown): void {
    if (this.#opts.onError) this.#opts.onError(err);
    else process.emitWarning(err instanceof Error ? err : new Error(String(err)), 'CatalogStoreWarning');
  }
}

/**
 * Which spec file owns each import namespace, kept in the data directory so that a clash
 * between two files goes to the same file before and after a restart: the one that had the
 * namespace first keeps it while its file is in the folder. Written asynchronously and
 * atomically (temporary file, then rename); a missing or unreadable file means no owners yet.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';

export class NamespaceOwners {
  readonly #file: string | null;
  #owners = new Map<string, string>();
  #loaded = false;
  #writing: Promise<void> = Promise.resolve();

  constructor(file: string | null) {
    this.#file = file;
  }

  async load(): Promise<void> {
    if (this.#loaded) return;
    this.#loaded = true;
    if (!this.#file) return;
    try {
      const raw = JSON.parse(await readFile(this.#file, 'utf8')) as unknown;
      if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
        for (const [id, file] of Object.entries(raw)) if (typeof file === 'string') this.#owners.set(id, file);
      }
    } catch {
      // First start, or a damaged file: ownership is rebuilt as imports load.
    }
  }

  owner(id: string): string | undefined {
    return this.#owners.get(id);
  }

  /** `file` now owns `id` (and no other namespace). */
  claim(id: string, file: string): void {
    let changed = this.#owners.get(id) !== file;
    for (const [other, f] of [...this.#owners]) {
      if (f === file && other !== id) {
        this.#owners.delete(other);
        changed = true;
      }
    }
    this.#owners.set(id, file);
    if (changed) this.#save();
  }

  /** The file left the folder: its namespace is free. */
  release(file: string): void {
    let changed = false;
    for (const [id, f] of [...this.#owners]) {
      if (f === file) {
        this.#owners.delete(id);
        changed = true;
      }
    }
    if (changed) this.#save();
  }

  #save(): void {
    const file = this.#file;
    if (!file) return;
    const body = JSON.stringify(Object.fromEntries([...this.#owners].sort()), null, 2);
    this.#writing = this.#writing.then(async () => {
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        await writeFile(tmp, body, { mode: 0o600 }); // like the other files of the data directory
        await rename(tmp, file);
      } catch {
        // Losing this file only loses tie-breaking after a restart; imports keep working.
      }
    });
  }

  /** Waits for pending writes (shutdown, tests). */
  flush(): Promise<void> {
    return this.#writing;
  }
}

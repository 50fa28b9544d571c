import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { ImportedApi } from './import-api.js';

/** `size:mtime` of every secret file the import's sidecar references (its credentials), so a rotation is noticed. */
export async function secretFilesFingerprint(api: ImportedApi | null): Promise<string> {
  if (!api?.sidecarFile) return '';
  const files: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (typeof o.file === 'string' && Object.keys(o).length === 1) files.push(isAbsolute(o.file) ? o.file : resolve(dirname(api.sidecarFile!), o.file));
      else Object.values(o).forEach(walk);
    }
  };
  walk(api.sidecar.credentials);
  const parts = await Promise.all(files.sort().map((f) => stat(f).then((s) => `${s.size}:${s.mtimeMs}`, () => 'gone')));
  return parts.join(',');
}

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

// Keeps allocating objects that stay alive after an explicit full collection, with V8's GC
// trace on, and reports how much the old generation grew between one full collection and the
// next: the growth V8 allows.
const module = new URL('../../dist/util/gc-tuning.js', import.meta.url).href;
const child = (tune: boolean) => `
${tune ? `(await import(${JSON.stringify(module)})).tuneGarbageCollector();` : ''}
const keep = [];
const add = (n) => { for (let i = 0; i < n; i++) keep.push(Array.from({ length: 10_000 }, (_, j) => ({ j }))); };
add(300);
globalThis.gc();
add(1400);
`;

async function growths(tune: boolean): Promise<number[]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--trace-gc', '--input-type=module', '-e', child(tune)], { timeout: 60_000, maxBuffer: 1 << 20 });
  // "Mark-Compact 91.2 (120.5) -> 90.4 (124.7) MB": size when it started -> what survived.
  const full = [...stdout.matchAll(/Mark-Compact(?: \(reduce\))? ([\d.]+) \([\d.]+\) -> ([\d.]+) \([\d.]+\) MB/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
  const out: number[] = [];
  for (let i = 1; i < full.length; i++) out.push(full[i]![0] / full[i - 1]![1]);
  return out;
}

describe('tuneGarbageCollector', () => {
  it('holds the old generation to about twice what survived the last full collection, where V8 alone lets it grow about fourfold', async () => {
    const [tuned, untuned] = await Promise.all([growths(true), growths(false)]);
    expect(tuned.length).toBeGreaterThanOrEqual(2);
    for (const g of tuned) expect(g).toBeLessThan(3);
    // The same program without it: the flag, set at run time, is what made the difference.
    expect(Math.max(...untuned)).toBeGreaterThan(3.2);
  }, 60_000);
});

/**
 * Tool argument names for one operation, unique and independent of declaration order.
 *
 * Rules:
 *  1. Properties of a flattened object body keep their names.
 *  2. A body that is not flattened is one argument named `body`; if a parameter is called
 *     `body`, the wrapper is named `body__body` instead (then `body__body_<hash>`), and the
 *     parameter keeps its name.
 *  3. A parameter keeps its name unless that name is also a body argument (1 or 2) or the
 *     name of another parameter (necessarily in another location, as name + location is
 *     unique); then every parameter of that name is renamed `<name>__<in>` (`id__path`,
 *     `id__query`).
 *  4. A renamed parameter whose new name is taken anyway gets a short hash of its location
 *     and name: `<name>__<in>_<6 hex>` (longer if even that is taken).
 */
import { createHash } from 'node:crypto';
import type { ParamLocation } from '../plan.js';

export function assignArgumentNames(input: {
  parameters: ReadonlyArray<{ name: string; in: ParamLocation }>;
  /** Names of a flattened body's properties ([] when the body is wrapped or absent). */
  bodyProperties: readonly string[];
  /** A body that goes under one argument. */
  wrappedBody: boolean;
}): { parameterArgs: string[]; bodyArg: string | null } {
  const rawNames = new Set(input.parameters.map((p) => p.name));
  let bodyArg: string | null = null;
  if (input.wrappedBody) {
    bodyArg = 'body';
    if (rawNames.has(bodyArg)) bodyArg = 'body__body';
    for (let len = 6; rawNames.has(bodyArg); len += 2) bodyArg = `body__body_${shortHash('body', len)}`;
  }
  const bodyNames = new Set(input.bodyProperties);
  if (bodyArg !== null) bodyNames.add(bodyArg);

  const counts = new Map<string, number>();
  for (const p of input.parameters) counts.set(p.name, (counts.get(p.name) ?? 0) + 1);
  const keeps = (p: { name: string }): boolean => !bodyNames.has(p.name) && counts.get(p.name) === 1;

  const taken = new Set(bodyNames);
  for (const p of input.parameters) if (keeps(p)) taken.add(p.name);
  const renamed = new Map<number, string>();
  // Renamed ones in a fixed order (location, then name), so a hash suffix never depends on declaration order.
  const order = input.parameters
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => !keeps(p))
    .sort((a, b) => cmp(`${a.p.in}\u0000${a.p.name}`, `${b.p.in}\u0000${b.p.name}`));
  for (const { p, i } of order) {
    let arg = `${p.name}__${p.in}`;
    for (let len = 6; taken.has(arg); len += 2) arg = `${p.name}__${p.in}_${shortHash(`${p.in}:${p.name}`, len)}`;
    taken.add(arg);
    renamed.set(i, arg);
  }
  return { parameterArgs: input.parameters.map((p, i) => renamed.get(i) ?? p.name), bodyArg };
}

/** Hex prefix of SHA-256; past 64 characters the length itself keeps each try distinct. */
function shortHash(s: string, len: number): string {
  const hex = createHash('sha256').update(s, 'utf8').digest('hex');
  return len <= 64 ? hex.slice(0, len) : `${hex}_${len}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

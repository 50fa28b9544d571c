/** Small zod building blocks shared by the agent schema and its policy sections. */
import { z } from 'zod';

/** Agent ids: lowercase slug, 2–63 characters, starting with a letter. Also the file name. */
export const AGENT_ID_PATTERN = /^[a-z][a-z0-9-]{1,62}$/;

/** An agent id (see AGENT_ID_PATTERN). */
export const AgentIdSchema = z
  .string()
  .regex(AGENT_ID_PATTERN, 'must be a lowercase slug: a letter, then 1-62 of a-z, 0-9 or "-"')
  .describe('Lowercase slug (a letter, then 1-62 of a-z, 0-9, "-"). The file must be named <id>.yaml');

/** A slug for tags, skill ids and similar labels. */
export const SlugSchema = z
  .string()
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'must be a lowercase slug (a-z, 0-9, single "-" between words)')
  .max(63);

/**
 * Glob on tool names. Tool names are at most 64 characters of [A-Za-z0-9_-] including
 * their namespace, so a pattern may only add `*` (any run) and `?` (one character).
 */
export const ToolGlobSchema = z
  .string()
  .regex(/^[A-Za-z0-9_*?-]{1,64}$/, 'must be a tool name or glob: 1-64 of A-Z, a-z, 0-9, "_", "-", "*", "?"')
  .describe('Tool name or glob ("*" = any run of characters, "?" = one character), matched against the whole name');

/** Glob on model names; providers use `/`, `.`, `:` and `@` in model ids. */
export const ModelGlobSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:/@*?-]{1,200}$/, 'must be a model name or glob: 1-200 of A-Z, a-z, 0-9, "._:/@-", "*", "?"')
  .describe('Model name or glob ("*" = any run of characters, "?" = one character), matched against the whole name');

/** Glob on agent ids (for A2A call permissions). */
export const AgentGlobSchema = z
  .string()
  .regex(/^[a-z0-9*?-]{1,63}$/, 'must be an agent id or glob: 1-63 of a-z, 0-9, "-", "*", "?"')
  .describe('Agent id or glob ("*" = any run of characters, "?" = one character)');

/** A whole number above zero (limits, counts). */
export const PositiveInt = z.number().int().positive();

/** Rejects repeated entries so a list means exactly what it shows. */
export function uniqueList<T extends z.ZodType<string>>(item: T) {
  return z.array(item).superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((v, i) => {
      if (seen.has(v)) ctx.addIssue({ code: 'custom', path: [i], message: `"${v}" is listed more than once` });
      seen.add(v);
    });
  });
}

/**
 * Fields of an allow/deny pair where deny wins. `allow` is required so a declared section
 * always says what it permits (`["*"]` for everything). Pair with `noOverlap`.
 */
export function allowDenyFields<T extends z.ZodType<string>>(item: T, what: string) {
  return {
    allow: uniqueList(item).describe(`${what} permitted; [] permits none, ["*"] all (deny still wins)`),
    deny: uniqueList(item).default([]).describe(`${what} refused even when they also match allow`),
  };
}

/** Reports entries that appear in both `allow` and `deny`. */
export function noOverlap(v: { allow: readonly string[]; deny: readonly string[] }, ctx: z.RefinementCtx): void {
  const { allow, deny } = v;
  const denied = new Set(deny);
  allow.forEach((a, i) => {
    if (denied.has(a)) ctx.addIssue({ code: 'custom', path: ['allow', i], message: `"${a}" is in both allow and deny` });
  });
}

import { createHash } from 'node:crypto';

/**
 * Public tool names: `<upstreamId>__<toolName>`.
 *
 * The MCP spec (2025-11-25, SEP-986) allows 1-128 characters of A-Z a-z 0-9 _ - . in a tool
 * name, but many clients (and the LLM APIs behind them) accept only `^[A-Za-z0-9_-]{1,64}$`.
 * Public names therefore use that narrower set and stay within 64 characters.
 *
 * A name is kept verbatim when it already fits. Otherwise it becomes a readable prefix, `_`,
 * and 8 base32 characters of SHA-256 over the ORIGINAL upstream name. The suffix is added to
 * every name that needed any change (not only to the ones that happen to collide), so a
 * tool's public name depends on nothing but its upstream id and its own name: `a.b` and `a_b`
 * on one upstream become `x__a_b_<hash>` and `x__a_b`, whatever order they arrive in, and a
 * tool keeps its name when a sibling appears or disappears. Upstream ids contain no `_`, so
 * the first `__` always ends the namespace and two upstreams can never produce the same name,
 * provided the unprefixed upstream publishes no name with `__` (see unprefixedNameProblem).
 */
export const MAX_PUBLIC_NAME_LENGTH = 64;
export const NAMESPACE_SEPARATOR = '__';
const SAFE = /^[A-Za-z0-9_-]+$/;
// `u`: one astral character (an emoji) is one match, so it becomes one `_`, never a lone surrogate.
const UNSAFE_CHAR = /[^A-Za-z0-9_-]/gu;
const SUFFIX_CHARS = 8;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * The public name of `toolName` (as the upstream names it) on upstream `upstreamId`; `null`
 * for the one upstream configured unprefixed, whose names keep only the character and
 * length rules (and never gain a `__` on the way).
 */
export function publicToolName(upstreamId: string | null, toolName: string): string {
  const prefix = upstreamId === null ? '' : upstreamId + NAMESPACE_SEPARATOR;
  const whole = prefix + toolName;
  if (toolName.length > 0 && SAFE.test(toolName) && whole.length <= MAX_PUBLIC_NAME_LENGTH) return whole;
  const room = MAX_PUBLIC_NAME_LENGTH - prefix.length - 1 - SUFFIX_CHARS;
  if (upstreamId !== null) return `${prefix}${toolName.replace(UNSAFE_CHAR, '_').slice(0, room)}_${nameHash(toolName)}`;
  // Unprefixed names must not gain a `__` from sanitizing (`a._b`, `get.`): see unprefixedNameProblem.
  const kept = toolName.replace(UNSAFE_CHAR, '_').replace(/__+/g, '_').slice(0, room).replace(/_+$/, '');
  return `${kept}_${nameHash(toolName)}`;
}

/**
 * Why the unprefixed upstream may not publish the tool or prompt it calls `name`, or `null`
 * when it may. Agents' globs trust what precedes the first `__` of a public name
 * (`github__*`), so an unprefixed `github__delete_repo` would sit in another upstream's
 * namespace (or in one an upstream added later would own). publicToolName(null, ...) never
 * creates a `__`, so the upstream's own name is what decides.
 */
export function unprefixedNameProblem(name: string): string | null {
  return name.includes(NAMESPACE_SEPARATOR)
    ? `the name contains the namespace separator "${NAMESPACE_SEPARATOR}", which the unprefixed upstream may not use`
    : null;
}

/** 40 bits of SHA-256 over the UTF-8 name, lowercase base32 (a-z, 2-7). */
export function nameHash(name: string): string {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  let bits = 0;
  let acc = 0;
  let out = '';
  for (const byte of digest) {
    acc = (acc << 8) | byte;
    bits += 8;
    while (bits >= 5 && out.length < SUFFIX_CHARS) {
      out += BASE32[(acc >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (out.length === SUFFIX_CHARS) break;
    acc &= 0xff;
  }
  return out;
}

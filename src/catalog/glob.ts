/**
 * The catalog's glob dialect, shared by every section that lists names: `*` matches any run
 * of characters (including none), `?` exactly one, everything else is literal. Matching is
 * case-sensitive and covers the whole name.
 */
export function compileGlob(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** A compiled list of globs, for repeated matching on the request path. */
export function globMatcher(patterns: readonly string[]): (name: string) => boolean {
  const res = patterns.map(compileGlob);
  return (name) => res.some((re) => re.test(name));
}

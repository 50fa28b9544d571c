/** The decoded name of one `name=value` pair of a query string (`+` read as a space). */
export function queryPairName(pair: string): string {
  const eq = pair.indexOf('=');
  const raw = (eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' ');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/**
 * `pathAndQuery` with `pairs` in its query, replacing any pair of the same name there. For
 * parameters the gateway owns (credentials): a value of that name from elsewhere never wins.
 */
export function withQueryPairs(pathAndQuery: string, pairs: readonly string[]): string {
  if (pairs.length === 0) return pathAndQuery;
  const names = new Set(pairs.map(queryPairName));
  const q = pathAndQuery.indexOf('?');
  const path = q < 0 ? pathAndQuery : pathAndQuery.slice(0, q);
  const kept = q < 0 ? [] : pathAndQuery.slice(q + 1).split('&').filter((p) => p !== '' && !names.has(queryPairName(p)));
  return `${path}?${[...kept, ...pairs].join('&')}`;
}

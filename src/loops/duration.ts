/** "60 s", "0.5 s": trip messages name windows the way the catalog declares them. */
export function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

/**
 * A string as an HTTP field value under the 2026-07-28 header rules (Mcp-Name, Mcp-Param-*):
 * printable ASCII without leading or trailing whitespace goes as it is; anything else (and
 * anything that looks like the wrapper itself) is sent as `=?base64?<UTF-8 in base64>?=`.
 */
export function mcpHeaderValue(value: string): string {
  return isPlainFieldValue(value) ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

function isPlainFieldValue(s: string): boolean {
  if (s.length === 0 || s !== s.trim()) return false;
  if (s.startsWith('=?base64?') && s.endsWith('?=')) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 9 && (c < 32 || c > 126)) return false;
  }
  return true;
}

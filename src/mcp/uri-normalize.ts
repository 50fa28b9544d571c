/**
 * One spelling per resource URI, so authorization and forwarding see the same thing: the
 * WHATWG URL serialization (scheme and host lowercased, `.`/`..` and their percent-encoded
 * forms resolved). `demo://x/./a.md`, `DEMO://x/a.md` and `demo://x/y/../a.md` are all
 * `demo://x/a.md`. Text that does not parse as a URL is kept as it is.
 */
export function normalizeUri(uri: string): string {
  try {
    return new URL(uri).href;
  } catch {
    return uri;
  }
}

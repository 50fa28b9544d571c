/**
 * A concrete type for a Content-Type header or a part: the first entry of the spec's
 * (possibly comma-separated) list, or `fallback` when it is a wildcard such as `image/*`.
 */
export function concreteMediaType(listed: string | undefined, fallback: string): string {
  const first = listed?.split(',')[0]?.trim() ?? '';
  return first === '' || first.includes('*') ? fallback : first;
}

export function isJsonMediaType(mediaType: string): boolean {
  const essence = mediaEssence(mediaType);
  return essence === 'application/json' || essence.endsWith('+json');
}

/** `type/subtype` in lower case, parameters dropped. */
export function mediaEssence(mediaType: string): string {
  const semi = mediaType.indexOf(';');
  return (semi === -1 ? mediaType : mediaType.slice(0, semi)).trim().toLowerCase();
}

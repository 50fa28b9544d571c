/**
 * Which request media type a tool speaks when the spec offers several: one per operation,
 * chosen by a fixed preference so the same spec always gives the same tool.
 */
import { isPlainObject } from './json-value.js';

export type BodyKind = 'json' | 'form' | 'multipart' | 'text' | 'octet-stream' | 'other';

export interface ChosenMediaType {
  /** The key in `content`, as written. */
  key: string;
  /** What the request is sent as: the key, except a wildcard, which is sent as JSON. */
  mediaType: string;
  kind: BodyKind;
  media: Record<string, unknown>;
}

export function essence(mediaType: string): string {
  return (mediaType.split(';')[0] ?? '').trim().toLowerCase();
}

/** application/json, any `+json` type and text/json; not wildcards. */
export function isJsonMediaType(mediaType: string): boolean {
  const e = essence(mediaType);
  return e === 'application/json' || e === 'text/json' || e.endsWith('+json');
}

function isXml(e: string): boolean {
  return e.endsWith('/xml') || e.endsWith('+xml');
}

/**
 * Preference: application/json, other JSON types, a wildcard (sent as JSON), form-urlencoded,
 * multipart/form-data, text/plain, application/octet-stream, anything else; ties by key.
 * XML is never chosen (there is no XML serializer): `xmlOnly` says that was all there was.
 */
export function chooseRequestMediaType(content: Record<string, unknown>): ChosenMediaType | { xmlOnly: true } | null {
  const candidates: Array<{ rank: number; key: string; kind: BodyKind; media: Record<string, unknown> }> = [];
  let xml = false;
  for (const [key, media] of Object.entries(content)) {
    const e = essence(key);
    if (isXml(e)) {
      xml = true;
      continue;
    }
    const m = isPlainObject(media) ? media : {};
    if (e === 'application/json') candidates.push({ rank: 0, key, kind: 'json', media: m });
    else if (isJsonMediaType(key)) candidates.push({ rank: 1, key, kind: 'json', media: m });
    else if (e === '*/*' || e === 'application/*') candidates.push({ rank: 2, key, kind: 'json', media: m });
    else if (e === 'application/x-www-form-urlencoded') candidates.push({ rank: 3, key, kind: 'form', media: m });
    else if (e === 'multipart/form-data') candidates.push({ rank: 4, key, kind: 'multipart', media: m });
    else if (e === 'text/plain') candidates.push({ rank: 5, key, kind: 'text', media: m });
    else if (e === 'application/octet-stream') candidates.push({ rank: 6, key, kind: 'octet-stream', media: m });
    else candidates.push({ rank: 7, key, kind: 'other', media: m });
  }
  candidates.sort((a, b) => a.rank - b.rank || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const best = candidates[0];
  if (best === undefined) return xml ? { xmlOnly: true } : null;
  return { key: best.key, mediaType: best.rank === 2 ? 'application/json' : best.key, kind: best.kind, media: best.media };
}

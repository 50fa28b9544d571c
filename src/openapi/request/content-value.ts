import { isJsonMediaType } from './media-type.js';

/**
 * Text of a parameter described with `content` (a media type) instead of a style. Only JSON
 * is produced; for any other media type a string is sent as it is and anything else as JSON.
 */
export function contentText(value: unknown, mediaType: string): string {
  if (typeof value === 'string' && !isJsonMediaType(mediaType)) return value;
  return JSON.stringify(value) ?? '';
}

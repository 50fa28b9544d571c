import { secretForms, secretPattern } from '../util/secret-pattern.js';
import type { ProviderRuntime } from './provider-runtime.js';

const REDACTED = '[redacted]';

// Every backslash escape, left to right (so an escaped backslash is never read as the start
// of another escape): linear in the text, whatever runs of backslashes it holds.
const ESCAPE = /\\(?:u00([2-7][0-9A-Fa-f])|[^])/g;

/**
 * Replaces any of the provider's own secrets an answer echoes (a misbehaving proxy, a debug
 * mode), so a key the gateway holds never reaches an agent: as sent, in its JSON- and
 * URL-escaped forms, and spelt with needless `\uXXXX` escapes of printable ASCII (which JSON
 * allows for any character, and any client decodes). A buffer search per form plus one for
 * such escapes; text work only when one is there, and a copy only when a secret is found.
 */
export function scrubSecrets(body: Buffer, provider: ProviderRuntime): Buffer {
  const forms = secretForms(provider.secrets);
  if (forms.length === 0) return body;
  let found = false;
  for (const f of forms) {
    if (body.indexOf(f) !== -1) {
      found = true;
      break;
    }
  }
  const escaped = hasNeedlessEscape(body);
  if (!found && !escaped) return body;
  let text = body.toString('utf8');
  if (escaped) text = text.replace(ESCAPE, unescapeNeedless);
  const re = secretPattern(provider.secrets)!;
  re.lastIndex = 0;
  if (!re.test(text)) return body;
  re.lastIndex = 0;
  return Buffer.from(text.replace(re, REDACTED), 'utf8');
}

/** Whether `\u00` followed by 2-7 occurs: a possibly needless escape of printable ASCII. */
function hasNeedlessEscape(body: Buffer): boolean {
  for (let i = body.indexOf('\\u00'); i !== -1; i = body.indexOf('\\u00', i + 4)) {
    const c = body[i + 4];
    if (c !== undefined && c >= 0x32 && c <= 0x37) return true;
  }
  return false;
}

// Undoing such an escape leaves the same JSON value; `"`, `\` and DEL stay escaped.
function unescapeNeedless(escape: string, hex: string | undefined): string {
  if (hex === undefined) return escape;
  const code = parseInt(hex, 16);
  return code === 0x22 || code === 0x5c || code === 0x7f ? escape : String.fromCharCode(code);
}

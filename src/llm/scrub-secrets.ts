import { secretForms, secretPattern } from '../util/secret-pattern.js';
import type { ProviderRuntime } from './provider-runtime.js';

const REDACTED = '[redacted]';

// A `\uXXXX` escape of a character JSON never needs escaped (printable ASCII but `"` and `\`),
// not itself preceded by an escaping backslash: undoing it leaves the same JSON value.
const NEEDLESS_ESCAPE = /(?<=(?:^|[^\\])(?:\\\\)*)\\u00([2-7][0-9A-Fa-f])/g;

/**
 * Replaces any of the provider's own secrets an answer echoes (a misbehaving proxy, a debug
 * mode), so a key the gateway holds never reaches an agent: as sent, in its JSON- and
 * URL-escaped forms, and spelt with needless `\uXXXX` escapes (which JSON allows for any
 * character). A buffer search per form; text work only when a form or an escape is there,
 * and a copy only when a secret is found.
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
  const escaped = body.indexOf('\\u') !== -1;
  if (!found && !escaped) return body;
  let text = body.toString('utf8');
  if (escaped) text = text.replace(NEEDLESS_ESCAPE, unescapeSafe);
  const re = secretPattern(provider.secrets)!;
  re.lastIndex = 0;
  if (!re.test(text)) return body;
  re.lastIndex = 0;
  return Buffer.from(text.replace(re, REDACTED), 'utf8');
}

function unescapeSafe(escape: string, hex: string): string {
  const code = parseInt(hex, 16);
  return code === 0x22 || code === 0x5c || code === 0x7f ? escape : String.fromCharCode(code);
}

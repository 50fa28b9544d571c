// The request-body checks of bench/floor-proxy.mjs's `checked` mode: Warden's own helpers (from
// dist/, so run `npm run build` first), as src/http/read-body.ts applies them before any policy.
import { scanJson } from '../dist/util/json-scan.js';
import { utf8Text } from '../dist/util/utf8-text.js';

/** The parsed body, or a throw (the floor proxy answers 502) when Warden would refuse it. */
export function checkedJson(buf) {
  const text = utf8Text(buf);
  if (text === null) throw new Error('not UTF-8');
  if (scanJson(buf, 64).problem) throw new Error('too deep or a repeated key');
  return JSON.parse(text);
}

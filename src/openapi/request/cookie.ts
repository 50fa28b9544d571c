/**
 * Cookie parameters: style form (the only cookie style). Names must be RFC 9110 tokens (no
 * `;`, `,`, `=`, whitespace, quotes or controls), also the keys of an exploded object, which
 * become cookie names; values are percent-encoded strictly (percent-encode.ts), so `;` and
 * `,` inside a value cannot start another cookie. Each entry is one `name=value` of the one
 * Cookie header; exploded lists and objects give several entries, as `&` has no meaning there.
 */
import type { ParameterPlan } from '../plan.js';
import { contentText } from './content-value.js';
import { HTTP_TOKEN } from '../http-names.js';
import { encodeStrict, ValueProblem } from './percent-encode.js';
import { expandPairStyle, noEncoding, pairEntries } from './style-serialize.js';
import { quoted } from './values.js';

export function cookieEntries(param: ParameterPlan, value: unknown, reserved: ReadonlySet<string>): string[] {
  checkCookieName(param.name, reserved);
  if (param.contentType !== undefined) return [`${param.name}=${encodeStrict(contentText(value, param.contentType))}`];
  const pairs = expandPairStyle('form', param.explode, param.name, value, { name: noEncoding, value: encodeStrict });
  return pairEntries(pairs, (key) => checkCookieName(key, reserved));
}

function checkCookieName(name: string, reserved: ReadonlySet<string>): void {
  if (!HTTP_TOKEN.test(name)) throw new ValueProblem(`${quoted(name)} is not a valid cookie name`);
  if (reserved.has(name.toLowerCase())) {
    throw new ValueProblem(`would set the cookie ${quoted(name)}, which carries the API's credentials; refused`);
  }
}

/**
 * Query parameters: style form, spaceDelimited, pipeDelimited or deepObject, names encoded
 * strictly, values strictly or (allowReserved) with RFC 6570 reserved expansion; see
 * percent-encode.ts. A name the credential injector uses is refused, whether it is the
 * parameter's own name or a key of an exploded object (`{?filter*}` with `{api_key: ...}`
 * would otherwise write `api_key=...`).
 */
import type { ParameterPlan } from '../plan.js';
import { contentText } from './content-value.js';
import { encodeAllowReserved, encodeStrict, ValueProblem } from './percent-encode.js';
import { expandPairStyle, pairEntries } from './style-serialize.js';
import { quoted } from './values.js';

/** Encoded `name=value` entries for one parameter. */
export function queryEntries(param: ParameterPlan, value: unknown, reserved: ReadonlySet<string>): string[] {
  refuseReserved(param.name, reserved);
  if (param.contentType !== undefined) {
    return [`${encodeStrict(param.name)}=${encodeStrict(contentText(value, param.contentType))}`];
  }
  const style = param.style === 'spaceDelimited' || param.style === 'pipeDelimited' || param.style === 'deepObject' ? param.style : 'form';
  const pairs = expandPairStyle(style, param.explode, param.name, value, {
    name: encodeStrict,
    value: param.allowReserved ? encodeAllowReserved : encodeStrict,
  });
  return pairEntries(pairs, (key) => refuseReserved(key, reserved));
}

function refuseReserved(name: string, reserved: ReadonlySet<string>): void {
  if (reserved.has(name.toLowerCase())) {
    throw new ValueProblem(`would set the query parameter ${quoted(name)}, which carries the API's credentials; refused`);
  }
}

/**
 * `application/x-www-form-urlencoded` bodies. A property whose Encoding Object has a style is
 * written like a query parameter of that style (Stripe: `style: deepObject, explode: true`,
 * nested brackets, see style-serialize.ts). Without one, the OAS 3.1 Encoding Object defaults
 * apply: scalars as text, objects as JSON, list members one `name=value` each (as text, or
 * JSON for objects). Values are percent-encoded as in a query (percent-encode.ts; space as
 * `%20`, which form decoders accept). Null properties are left out in content mode; in style
 * mode they follow the style table (`name=` for form).
 */
import type { BodyPlan, EncodingPlan } from '../plan.js';
import { encodingFor, styleOf, type BodyField } from './body-fields.js';
import { isJsonMediaType } from './media-type.js';
import { encodeAllowReserved, encodeStrict, ValueProblem } from './percent-encode.js';
import { expandPairStyle, pairEntries } from './style-serialize.js';
import { definedItems, isPlainObject, scalarText } from './values.js';

export function formBody(body: BodyPlan, fields: readonly BodyField[], problems: string[]): string {
  const entries: string[] = [];
  for (const field of fields) {
    try {
      for (const entry of fieldEntries(field.property, field.value, encodingFor(body, field.property))) entries.push(entry);
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      problems.push(`${field.arg}: ${err.message}`);
    }
  }
  return entries.join('&');
}

function fieldEntries(property: string, value: unknown, encoding: EncodingPlan | undefined): string[] {
  const styled = styleOf(encoding);
  if (styled !== null) {
    const pairs = expandPairStyle(styled.style, styled.explode, property, value, {
      name: encodeStrict,
      value: styled.allowReserved ? encodeAllowReserved : encodeStrict,
    });
    return pairEntries(pairs);
  }
  if (value === null) return [];
  const name = encodeStrict(property);
  const asJson = encoding?.contentType !== undefined && isJsonMediaType(encoding.contentType);
  const text = (item: unknown): string => (asJson || isPlainObject(item) || Array.isArray(item) ? JSON.stringify(item) : scalarText(item));
  if (Array.isArray(value)) return definedItems(value).map((item) => `${name}=${encodeStrict(text(item))}`);
  return [`${name}=${encodeStrict(text(value))}`];
}

/**
 * `multipart/form-data` bodies, built as a FormData (the global one, undici's) so the encoder
 * writes the boundary and escapes part names. One part per property, one per list member
 * (RFC 7578 section 4.3): binary properties (BodyPlan.binary) are base64-decoded into a Blob
 * part named after the property, typed by the Encoding Object or application/octet-stream;
 * objects (and list members that are objects) become JSON parts typed by the Encoding Object
 * or application/json; scalars become text parts, unless the Encoding Object gives another
 * type. A property whose Encoding Object has a style is split like a query parameter into
 * text parts, without percent-encoding (OAS 3.1 Appendix C). Null properties get no part.
 */
import type { BodyPlan, EncodingPlan } from '../plan.js';
import { decodeBase64 } from './base64.js';
import { encodingFor, styleOf, type BodyField } from './body-fields.js';
import { concreteMediaType, isJsonMediaType, mediaEssence } from './media-type.js';
import { ValueProblem } from './percent-encode.js';
import { expandPairStyle, noEncoding } from './style-serialize.js';
import { definedItems, isPlainObject, scalarText } from './values.js';

export function multipartBody(body: BodyPlan, fields: readonly BodyField[], problems: string[]): FormData {
  const form = new FormData();
  for (const field of fields) {
    try {
      appendField(form, field.property, field.value, encodingFor(body, field.property), body.binary.includes(field.property));
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      problems.push(`${field.arg}: ${err.message}`);
    }
  }
  return form;
}

function appendField(form: FormData, name: string, value: unknown, encoding: EncodingPlan | undefined, binary: boolean): void {
  if (value === null) return;
  const styled = binary ? null : styleOf(encoding);
  if (styled !== null) {
    for (const pair of expandPairStyle(styled.style, styled.explode, name, value, { name: noEncoding, value: noEncoding })) form.append(pair.name, pair.value);
    return;
  }
  const items = Array.isArray(value) ? definedItems(value) : [value];
  for (const item of items) {
    if (binary) {
      const type = concreteMediaType(encoding?.contentType, 'application/octet-stream');
      form.append(name, new Blob([decodeBase64(item)], { type }), name);
    } else if (isPlainObject(item) || Array.isArray(item)) {
      // An empty file name keeps the part a plain field: undici writes no `filename` then.
      form.append(name, new Blob([JSON.stringify(item)], { type: concreteMediaType(encoding?.contentType, 'application/json') }), '');
    } else {
      appendScalar(form, name, item, encoding?.contentType);
    }
  }
}

function appendScalar(form: FormData, name: string, item: unknown, contentType: string | undefined): void {
  const type = concreteMediaType(contentType, 'text/plain');
  if (mediaEssence(type) === 'text/plain') {
    form.append(name, scalarText(item));
    return;
  }
  const text = isJsonMediaType(type) ? JSON.stringify(item) : scalarText(item);
  form.append(name, new Blob([text], { type }), '');
}

/**
 * The request body, by the plan's media type: JSON (`application/json`, `+json`),
 * form-urlencoded, multipart, bytes (`application/octet-stream`, or any type whose whole body
 * is binary: base64 from the agent), text (`text/*`: a string as it is) and anything else (a
 * string as it is, other values as JSON). Flattened properties are reassembled into an
 * object; a whole-body argument is used as it is. A body argument given as null counts as
 * not given. No argument given: no body, or a problem if the body is required.
 */
import type { BodyPlan, BuiltRequest } from '../plan.js';
import { decodeBase64 } from './base64.js';
import type { BodyField } from './body-fields.js';
import { formBody } from './form-body.js';
import { checkHeaderValue } from './header.js';
import { concreteMediaType, isJsonMediaType, mediaEssence } from './media-type.js';
import { multipartBody } from './multipart-body.js';
import { ValueProblem } from './percent-encode.js';
import { isPlainObject, quoted, scalarText } from './values.js';

export interface BodyArgs {
  /** The whole-body argument, when the plan has one and the agent gave it. */
  whole: { arg: string; value: unknown } | undefined;
  /** Flattened body properties the agent gave. */
  fields: BodyField[];
  /** Every argument bound to the body, for the "required" problem. */
  argNames: string[];
}

export function buildBody(body: BodyPlan, given: BodyArgs, problems: string[]): BuiltRequest['body'] {
  const whole = given.whole?.value === null ? undefined : given.whole;
  if (whole === undefined && given.fields.length === 0) {
    if (body.required) problems.push(`${given.argNames.join(', ') || 'body'}: the request body is required`);
    return null;
  }
  const essence = mediaEssence(body.mediaType);
  try {
    checkHeaderValue(body.mediaType);
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    problems.push(`request body: the plan's media type ${quoted(body.mediaType)} ${err.message}`);
    return null;
  }

  if (body.binary.includes('') || essence === 'application/octet-stream') {
    if (whole === undefined) {
      problems.push(`${given.fields[0]?.arg ?? 'body'}: a binary body is sent from one whole-body argument; the plan has none`);
      return null;
    }
    try {
      return { contentType: concreteMediaType(body.mediaType, 'application/octet-stream'), data: decodeBase64(whole.value) };
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      problems.push(`${whole.arg}: ${err.message}`);
      return null;
    }
  }
  if (essence === 'application/x-www-form-urlencoded' || essence.startsWith('multipart/')) {
    const fields = whole === undefined ? given.fields : fieldsOf(whole, problems);
    if (fields === null) return null;
    return essence.startsWith('multipart/')
      ? { contentType: null, data: multipartBody(body, fields, problems) }
      : { contentType: body.mediaType, data: formBody(body, fields, problems) };
  }
  const value = whole === undefined ? objectOf(given.fields) : whole.value;
  if (isJsonMediaType(essence)) return { contentType: body.mediaType, data: JSON.stringify(value) };
  const text = typeof value === 'string' ? value : isPlainObject(value) || Array.isArray(value) ? JSON.stringify(value) : scalarText(value);
  return { contentType: concreteMediaType(body.mediaType, 'text/plain'), data: text };
}

/** A whole-body object split into fields; its keys are agent data, read as own keys only. */
function fieldsOf(whole: { arg: string; value: unknown }, problems: string[]): BodyField[] | null {
  if (!isPlainObject(whole.value)) {
    problems.push(`${whole.arg}: must be an object for a form or multipart body`);
    return null;
  }
  const record = whole.value;
  return Object.keys(record).map((key) => ({ arg: `${whole.arg}[${quoted(key)}]`, property: key, value: record[key] }));
}

/**
 * Flattened properties back into one object. Property names come from the spec, but a
 * null-prototype object with defined properties keeps even `__proto__` a plain key.
 */
function objectOf(fields: readonly BodyField[]): Record<string, unknown> {
  const object = Object.create(null) as Record<string, unknown>;
  for (const field of fields) {
    Object.defineProperty(object, field.property, { value: field.value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

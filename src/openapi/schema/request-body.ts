/**
 * The request body of one operation as tool arguments: one media type (chooseRequestMediaType),
 * an object body flattened into one argument per property (a root allOf merged first),
 * anything else under a single argument.
 */
import type { BodyPlan, EncodingPlan, ParamStyle, ValueShape } from '../plan.js';
import { asObjectSchema, type BinaryStrings, type JsonSchema, type SchemaConverter } from './convert-schema.js';
import { isPlainObject, own, setOwn } from './json-value.js';
import { chooseRequestMediaType, type ChosenMediaType } from './media-type.js';
import { shapeOf } from './value-shape.js';

export interface PlannedBody {
  plan: BodyPlan;
  /** Object body: one argument per property, in schema order. */
  properties: Array<{ property: string; schema: JsonSchema; required: boolean }> | null;
  /** Any other body: its schema, for the single wrapper argument. */
  wrapped: { schema: JsonSchema; required: boolean } | null;
}

const FORM_STYLES: readonly ParamStyle[] = ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'];
/** Keywords an object body cannot keep once its properties become separate arguments. */
const NOT_FLATTENABLE = ['oneOf', 'anyOf', 'not', 'if', 'then', 'else', 'patternProperties', 'propertyNames', 'dependentSchemas', 'dependentRequired', 'unevaluatedProperties', 'items', 'prefixItems', 'enum', 'const'];

export function planRequestBody(
  requestBody: unknown,
  converter: SchemaConverter,
): { ok: true; body: PlannedBody | null; warnings: string[] } | { ok: false; reason: string } {
  const warnings: string[] = [];
  if (requestBody === undefined) return { ok: true, body: null, warnings };
  if (!isPlainObject(requestBody)) return { ok: true, body: null, warnings: ['requestBody is not an object; ignored'] };
  const ref = own(requestBody, '$ref');
  if (ref !== undefined) return { ok: false, reason: `unresolved requestBody $ref ${JSON.stringify(ref)}` };
  const content = own(requestBody, 'content');
  const chosen = isPlainObject(content) ? chooseRequestMediaType(content) : null;
  if (chosen === null) return { ok: true, body: null, warnings: ['requestBody has no content; no body is sent'] };
  if (!('key' in chosen)) return { ok: false, reason: 'request body is XML only (no XML serializer)' };

  const required = own(requestBody, 'required') === true;
  const rbDescription = own(requestBody, 'description');
  const label = `requestBody ${chosen.key}`;
  const schema = own(chosen.media, 'schema');
  const plan: BodyPlan = { mediaType: chosen.mediaType, required, encoding: encodingOf(chosen), binary: [], shapes: {} };
  const resolve = (s: JsonSchema): JsonSchema => converter.resolve(s);

  const wrap = (s: JsonSchema): PlannedBody => {
    const o = asObjectSchema(s);
    if (typeof rbDescription === 'string' && rbDescription.trim() !== '' && typeof o.description !== 'string') o.description = rbDescription;
    return { plan, properties: null, wrapped: { schema: o, required } };
  };

  switch (chosen.kind) {
    case 'octet-stream':
      // The upgrader empties octet-stream schemas; the body is bytes whatever was declared.
      plan.binary = [''];
      return { ok: true, body: wrap(bytesSchema()), warnings };
    case 'text':
    case 'other': {
      if (isPlainObject(schema) && own(schema, 'type') === 'string' && !carriesBytesMarker(schema)) {
        return { ok: true, body: wrap(converter.convert(schema, { binary: 'keep', label }).schema), warnings };
      }
      if (chosen.kind === 'text') {
        if (schema !== undefined) warnings.push(`${label}: schema is not a string; the body is sent as text`);
        return { ok: true, body: wrap({ type: 'string' }), warnings };
      }
      plan.binary = [''];
      return { ok: true, body: wrap(bytesSchema()), warnings };
    }
    case 'json':
    case 'form':
    case 'multipart': {
      const mode: BinaryStrings = chosen.kind === 'json' ? 'keep' : 'base64';
      const merged = schema === undefined ? null : mergeObjectBody(schema);
      if (merged !== null) {
        const properties: PlannedBody['properties'] = [];
        const binary: string[] = [];
        const shapes: Record<string, ValueShape> = {};
        for (const [name, s] of merged.properties) {
          if (isPlainObject(s) && own(s, 'readOnly') === true) continue;
          const converted = converter.convert(s, { binary: mode, label: `${label} property ${JSON.stringify(name)}` });
          if (converted.binary.includes('') || converted.binary.includes('/items')) binary.push(name);
          setOwn(shapes, name, shapeOf(converted.schema, resolve));
          properties.push({ property: name, schema: converted.schema, required: merged.required.has(name) });
        }
        plan.binary = binary;
        plan.shapes = shapes;
        return { ok: true, body: { plan, properties, wrapped: null }, warnings };
      }
      const fallback = schema ?? (chosen.kind === 'json' ? {} : { type: 'object' });
      const converted = converter.convert(fallback, { binary: mode, label });
      if (converted.binary.includes('')) plan.binary = [''];
      const resolved = resolve(converted.schema);
      if (chosen.kind !== 'json' && isPlainObject(resolved) && isPlainObject(resolved.properties)) {
        const shapes: Record<string, ValueShape> = {};
        for (const [name, s] of Object.entries(resolved.properties)) setOwn(shapes, name, shapeOf(s as JsonSchema, resolve));
        plan.shapes = shapes;
      }
      return { ok: true, body: wrap(converted.schema), warnings };
    }
  }
}

/**
 * The properties of an object body with its root allOf (nested too) merged, or null when the
 * body is not a plain object with properties: arrays, scalars, root oneOf/anyOf, maps
 * (additionalProperties only), cyclic allOf. A property declared by several members
 * becomes `allOf` of its declarations.
 */
export function mergeObjectBody(schema: unknown): { properties: Array<[string, unknown]>; required: Set<string> } | null {
  const properties = new Map<string, unknown>();
  const required = new Set<string>();
  let objectTyped = false;
  const seen = new Set<object>();
  const visit = (s: unknown, level: number): boolean => {
    if (!isPlainObject(s) || seen.has(s) || level > 16) return false;
    seen.add(s);
    if (own(s, '$ref') !== undefined) return false;
    if (NOT_FLATTENABLE.some((k) => own(s, k) !== undefined)) return false;
    const type = own(s, 'type');
    if (type !== undefined) {
      const types = Array.isArray(type) ? type : [type];
      if (!types.includes('object') || types.some((t) => t !== 'object' && t !== 'null')) return false;
      objectTyped = true;
    }
    const props = own(s, 'properties');
    if (props !== undefined) {
      if (!isPlainObject(props)) return false;
      objectTyped = true;
      for (const [name, p] of Object.entries(props)) {
        const prev = properties.get(name);
        properties.set(name, prev === undefined ? p : { allOf: [prev, p], ...(isReadOnly(prev) || isReadOnly(p) ? { readOnly: true } : {}) });
      }
    }
    const req = own(s, 'required');
    if (Array.isArray(req)) for (const r of req) if (typeof r === 'string') required.add(r);
    const allOf = own(s, 'allOf');
    if (allOf !== undefined) {
      if (!Array.isArray(allOf)) return false;
      for (const m of allOf) if (!visit(m, level + 1)) return false;
    }
    return true;
  };
  if (!visit(schema, 0) || !objectTyped || properties.size === 0) return null;
  return { properties: [...properties.entries()], required };
}

function isReadOnly(s: unknown): boolean {
  return isPlainObject(s) && own(s, 'readOnly') === true;
}

function carriesBytesMarker(s: Record<string, unknown>): boolean {
  return own(s, 'format') === 'binary' || own(s, 'contentMediaType') !== undefined || own(s, 'contentEncoding') !== undefined;
}

function bytesSchema(): JsonSchema {
  return { type: 'string', contentEncoding: 'base64', description: 'Request body bytes (base64)' };
}

function encodingOf(chosen: ChosenMediaType): Record<string, EncodingPlan> {
  const out: Record<string, EncodingPlan> = {};
  if (chosen.kind !== 'form' && chosen.kind !== 'multipart') return out;
  const encoding = own(chosen.media, 'encoding');
  if (!isPlainObject(encoding)) return out;
  for (const [name, e] of Object.entries(encoding)) {
    if (!isPlainObject(e)) continue;
    const plan: EncodingPlan = {};
    const contentType = own(e, 'contentType');
    if (typeof contentType === 'string') plan.contentType = contentType;
    const style = own(e, 'style');
    if (FORM_STYLES.includes(style as ParamStyle)) plan.style = style as ParamStyle;
    const explode = own(e, 'explode');
    if (typeof explode === 'boolean') plan.explode = explode;
    const allowReserved = own(e, 'allowReserved');
    if (typeof allowReserved === 'boolean') plan.allowReserved = allowReserved;
    setOwn(out as Record<string, unknown>, name, plan);
  }
  return out;
}

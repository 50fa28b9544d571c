import type { BodyPlan, EncodingPlan, ParamStyle } from '../plan.js';

/** One top-level property of an object body, with the argument it came from. */
export interface BodyField {
  /** For problem messages. */
  arg: string;
  property: string;
  value: unknown;
}

/** The spec's Encoding Object for a property; own keys only (the property may be `__proto__`). */
export function encodingFor(body: BodyPlan, property: string): EncodingPlan | undefined {
  return Object.hasOwn(body.encoding, property) ? body.encoding[property] : undefined;
}

/**
 * An Encoding Object with `style`, `explode` or `allowReserved` serializes the property like a
 * query parameter of that style; without them (null here), by its content type (OAS 3.1
 * Encoding Object).
 */
export function styleOf(encoding: EncodingPlan | undefined): { style: ParamStyle; explode: boolean; allowReserved: boolean } | null {
  if (encoding === undefined || (encoding.style === undefined && encoding.explode === undefined && encoding.allowReserved === undefined)) return null;
  const style = encoding.style ?? 'form';
  return { style, explode: encoding.explode ?? style === 'form', allowReserved: encoding.allowReserved ?? false };
}

/**
 * The request path: the import's base path, then the template with each `{name}` replaced by
 * its parameter's value, percent-encoded strictly (see percent-encode.ts) so that it stays
 * one segment. Values that are, or decode to, dot segments are refused, and the finished
 * path is checked again (defence in depth): it must start with the base path plus the
 * template's static prefix and contain no dot segment.
 */
import type { ParameterPlan } from '../plan.js';
import { contentText } from './content-value.js';
import { hasDotSegment } from './dot-segments.js';
import { encodeStrict, ValueProblem } from './percent-encode.js';
import { expandSegmentStyle } from './style-serialize.js';
import { definedItems, definedPairs, isPlainObject, isUndefinedValue, scalarText } from './values.js';

export interface BoundValue {
  arg: string;
  /** `undefined` when the agent did not give the argument. */
  value: unknown;
}

const TEMPLATE_VARIABLE = /\{([^{}]*)\}/g;

/** The encoded path, or null after adding the reasons to `problems`. */
export function buildPath(
  template: string,
  parameters: readonly ParameterPlan[],
  bound: ReadonlyMap<number, BoundValue>,
  basePath: string,
  problems: string[],
): string | null {
  // A `#fragment` in a path key only tells operations apart (e.g. `/#Action=Send`); it is never sent.
  const hash = template.indexOf('#');
  const route = hash === -1 ? template : template.slice(0, hash);
  const base = basePath.replace(/\/+$/, '');
  const rendered = new Map<string, string | null>();
  let path = base;
  let last = 0;
  for (const match of route.matchAll(TEMPLATE_VARIABLE)) {
    const variable = match[1] ?? '';
    let text = rendered.get(variable);
    if (text === undefined) {
      text = renderVariable(variable, parameters, bound, problems);
      rendered.set(variable, text);
    }
    path += route.slice(last, match.index) + (text ?? '');
    last = match.index + match[0].length;
  }
  path += route.slice(last);
  if ([...rendered.values()].includes(null)) return null;

  const brace = route.indexOf('{');
  const fixedPrefix = base + (brace === -1 ? route : route.slice(0, brace));
  if (!path.startsWith(fixedPrefix)) {
    problems.push(`path: the built path does not start with "${fixedPrefix}"`);
    return null;
  }
  if (hasDotSegment(path)) {
    problems.push('path: the built path contains a "." or ".." segment');
    return null;
  }
  return path;
}

function renderVariable(variable: string, parameters: readonly ParameterPlan[], bound: ReadonlyMap<number, BoundValue>, problems: string[]): string | null {
  const index = parameters.findIndex((p) => p.in === 'path' && p.name === variable);
  const param = parameters[index];
  if (param === undefined) {
    problems.push(`path template variable {${variable}}: no path parameter of that name in the operation plan`);
    return null;
  }
  const arg = bound.get(index);
  if (arg === undefined) {
    problems.push(`path template variable {${variable}}: no argument is bound to it in the operation plan`);
    return null;
  }
  if (arg.value === undefined) {
    problems.push(`${arg.arg}: required path parameter "${variable}" is missing`);
    return null;
  }
  try {
    return renderValue(param, arg.value);
  } catch (err) {
    if (!(err instanceof ValueProblem)) throw err;
    problems.push(`${arg.arg}: ${err.message}`);
    return null;
  }
}

function renderValue(param: ParameterPlan, value: unknown): string {
  if (param.contentType !== undefined) {
    const text = contentText(value, param.contentType);
    if (text === '') throw new ValueProblem('must not be empty (a path segment)');
    refuseDots(text);
    return encodeStrict(text);
  }
  if (isUndefinedValue(value) || value === '') throw new ValueProblem('must not be empty (a path segment)');
  for (const text of leafTexts(value)) refuseDots(text);
  const style = param.style === 'label' || param.style === 'matrix' ? param.style : 'simple';
  return expandSegmentStyle(style, param.explode, param.name, value, encodeStrict);
}

function refuseDots(text: string): void {
  if (hasDotSegment(text)) {
    throw new ValueProblem('is, contains or decodes to a "." or ".." path segment; such values are refused');
  }
}

/** Every text the style writes into the segment: scalars, list members, map keys and values. */
function leafTexts(value: unknown): string[] {
  if (Array.isArray(value)) return definedItems(value).map(scalarText);
  if (isPlainObject(value)) return definedPairs(value).flatMap(([key, v]) => [key, scalarText(v)]);
  return [scalarText(value)];
}

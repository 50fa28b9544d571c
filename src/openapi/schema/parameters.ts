/**
 * The parameters of one operation as the tool exposes them: path-item parameters overridden
 * by the operation's own (same name and location), credentials and transport headers left
 * out, OAS serialization defaults filled in, checked against the path template.
 */
import type { ParamLocation, ParamStyle } from '../plan.js';
import { AGENT_FORBIDDEN_HEADERS } from '../http-names.js';
import { isPlainObject, own } from './json-value.js';
import { chooseRequestMediaType } from './media-type.js';
import { neutralize } from '../../util/unsafe-chars.js';

export interface DeclaredParameter {
  name: string;
  in: ParamLocation;
  required: boolean;
  style: ParamStyle;
  explode: boolean;
  allowReserved: boolean;
  /** Set for `content` parameters sent as JSON. */
  contentType?: string;
  /** The source schema (from `schema` or the chosen `content` entry). */
  schema: unknown;
  description?: string;
  deprecated: boolean;
}


const LOCATIONS: readonly ParamLocation[] = ['path', 'query', 'header', 'cookie'];

const STYLES: Record<ParamLocation, readonly ParamStyle[]> = {
  path: ['simple', 'label', 'matrix'],
  query: ['form', 'spaceDelimited', 'pipeDelimited', 'deepObject'],
  header: ['simple'],
  cookie: ['form'],
};

export type HiddenCheck = (p: { name: string; in: ParamLocation }) => boolean;

export function collectParameters(input: {
  pathTemplate: string;
  pathItemParameters: unknown[];
  operationParameters: unknown;
  isHidden: HiddenCheck;
}): { ok: true; parameters: DeclaredParameter[]; warnings: string[] } | { ok: false; reason: string } {
  const warnings: string[] = [];
  const byKey = new Map<string, Record<string, unknown>>();
  const opParams = input.operationParameters === undefined ? [] : input.operationParameters;
  if (!Array.isArray(opParams)) return { ok: false, reason: 'operation parameters is not an array' };
  for (const [level, list] of [['path item', input.pathItemParameters], ['operation', opParams]] as const) {
    const seen = new Set<string>();
    for (const p of list) {
      if (!isPlainObject(p)) {
        warnings.push(`${level} parameter that is not an object ignored`);
        continue;
      }
      const ref = own(p, '$ref');
      if (ref !== undefined) return { ok: false, reason: `unresolved parameter $ref ${JSON.stringify(ref)}` };
      const name = own(p, 'name');
      const location = own(p, 'in');
      if (typeof name !== 'string' || name === '' || !LOCATIONS.includes(location as ParamLocation)) {
        warnings.push(`${level} parameter ignored: ${unusable(p, name, location)}`);
        continue;
      }
      // Header names are case-insensitive on the wire, so `X-Id` and `x-id` are one parameter.
      const key = `${location as string}:${location === 'header' ? name.toLowerCase() : name}`;
      if (seen.has(key)) {
        warnings.push(`${level} parameter ${location as string} "${name}" declared twice; the first is used`);
        continue;
      }
      seen.add(key);
      byKey.set(key, p);
    }
  }

  const variables = templateVariables(input.pathTemplate);
  const declared: DeclaredParameter[] = [];
  for (const p of byKey.values()) {
    const name = p.name as string;
    const location = p.in as ParamLocation;
    const hidden = (location === 'header' && AGENT_FORBIDDEN_HEADERS.has(name.toLowerCase())) || input.isHidden({ name, in: location });
    if (location === 'path') {
      if (!variables.has(name)) {
        warnings.push(`path parameter "${name}" is not in the path template; ignored`);
        continue;
      }
      // Nothing else fills a path segment: the operation cannot be called without it.
      if (hidden) return { ok: false, reason: `path parameter "${name}" is hidden` };
    }
    if (hidden) continue;
    declared.push(describeParameter(p, name, location, warnings));
  }
  for (const v of variables) {
    if (!declared.some((d) => d.in === 'path' && d.name === v)) return { ok: false, reason: `path template variable {${v}} has no path parameter` };
  }
  // Stable sort: path, query, header, cookie, each in declaration order.
  declared.sort((a, b) => LOCATIONS.indexOf(a.in) - LOCATIONS.indexOf(b.in));
  return { ok: true, parameters: declared, warnings };
}

function describeParameter(p: Record<string, unknown>, name: string, location: ParamLocation, warnings: string[]): DeclaredParameter {
  const label = `parameter ${location} "${name}"`;
  const defaultStyle = STYLES[location][0] as ParamStyle;
  let style = defaultStyle;
  const rawStyle = own(p, 'style');
  if (rawStyle !== undefined) {
    if (STYLES[location].includes(rawStyle as ParamStyle)) style = rawStyle as ParamStyle;
    else warnings.push(`${label}: style ${JSON.stringify(rawStyle)} is not valid here; ${defaultStyle} used`);
  }
  const rawExplode = own(p, 'explode');
  const explode = typeof rawExplode === 'boolean' ? rawExplode : style === 'form';
  const out: DeclaredParameter = {
    name,
    in: location,
    required: location === 'path' || own(p, 'required') === true,
    style,
    explode,
    allowReserved: location === 'query' && own(p, 'allowReserved') === true,
    schema: { type: 'string' },
    deprecated: own(p, 'deprecated') === true,
  };
  const description = own(p, 'description');
  if (typeof description === 'string' && description.trim() !== '') out.description = description;
  const schema = own(p, 'schema');
  const content = own(p, 'content');
  if (schema !== undefined) out.schema = schema;
  else if (isPlainObject(content)) {
    const chosen = chooseRequestMediaType(content);
    if (chosen !== null && 'key' in chosen) {
      out.schema = own(chosen.media, 'schema') ?? (chosen.kind === 'json' ? {} : { type: 'string' });
      if (chosen.kind === 'json') out.contentType = chosen.mediaType;
      else warnings.push(`${label}: content ${chosen.key} is sent as a plain value`);
    } else warnings.push(`${label}: no usable content media type; sent as a string`);
  } else warnings.push(`${label}: no schema; sent as a string`);
  return out;
}

/** `{name}` variables of a path template. */
export function templateVariables(pathTemplate: string): Set<string> {
  const out = new Set<string>();
  for (const m of pathTemplate.matchAll(/\{([^{}]+)\}/g)) out.add(m[1] as string);
  return out;
}

/** Why a parameter object cannot be used, in words (its fields may be anything, or absent). */
function unusable(p: Record<string, unknown>, name: unknown, location: unknown): string {
  // A $ref that points at itself (or a cycle of them) dereferences to an empty object.
  if (Object.keys(p).length === 0) return 'it is empty (a $ref that refers to itself?)';
  const shown = (v: unknown) => (typeof v === 'string' ? neutralize(JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v)) : typeof v === 'object' && v !== null ? 'an object' : String(v));
  const problems: string[] = [];
  if (name === undefined) problems.push('it has no name');
  else if (typeof name !== 'string' || name === '') problems.push(`its name is ${shown(name)}, not a non-empty string`);
  if (location === undefined) problems.push('it has no "in"');
  else if (!LOCATIONS.includes(location as ParamLocation)) problems.push(`its "in" is ${shown(location)}, not one of ${LOCATIONS.join(', ')}`);
  const named = typeof name === 'string' && name !== '' ? `${shown(name)}: ` : '';
  return named + problems.join('; ');
}

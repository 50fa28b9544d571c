/**
 * Reads one API description (Swagger 2.0, OpenAPI 3.0 or 3.1; JSON or YAML) into a
 * dereferenced OpenAPI 3.1 document. Specs are untrusted input: size and nesting are capped,
 * `__proto__` keys refused, and any `$ref` that leaves the document (a URL, another file) is
 * refused before the dereferencer sees it, so nothing is ever fetched or read from disk.
 */
import { dereference, upgrade } from '@scalar/openapi-parser';
import type { ConfigIssue } from '../config/issues.js';
import { parseYaml } from '../config/load.js';
import { scanJson } from '../util/json-scan.js';
import { pruneForTools } from './prune-spec.js';
import { isObject } from '../util/is-object.js';
import { neutralize } from '../util/unsafe-chars.js';

export const MAX_SPEC_BYTES = 64 * 1024 * 1024;
/** Real specs nest schemas a few dozen levels deep; far beyond that is an attack on the parser. */
const MAX_SPEC_DEPTH = 512;
const MAX_REPORTED_REFS = 5;

export type SpecVersion = '2.0' | '3.0' | '3.1';

export interface LoadedSpec {
  version: SpecVersion;
  /** OpenAPI 3.1, internal `$ref`s replaced by what they point at (recursive schemas are cyclic). */
  document: Record<string, unknown>;
  title: string;
  /** Internal `$ref`s that point nowhere (the operations using them are skipped); a JSON key repeated in one object. */
  warnings: string[];
}

type Result = { ok: true; spec: LoadedSpec } | { ok: false; issues: ConfigIssue[] };

export async function loadSpec(file: string, text: string, opts: { keepResponses?: boolean } = {}): Promise<Result> {
  const fail = (path: string, message: string): Result => ({ ok: false, issues: [{ file, path, message }] });
  if (Buffer.byteLength(text) > MAX_SPEC_BYTES) return fail('(file)', `larger than ${MAX_SPEC_BYTES / 1024 / 1024} MiB`);
  const raw = parseText(file, text);
  if (!raw.ok) return raw;
  const doc = raw.value;
  const parseWarnings = raw.warnings;
  if (!isObject(doc)) return fail('(root)', 'not an OpenAPI or Swagger document (expected an object)');
  const version = specVersion(doc);
  if (version === null) return fail('(root)', 'neither `swagger: "2.0"` nor `openapi: 3.0.x / 3.1.x`');
  if (!isObject(doc.paths)) return fail('paths', version === '3.1' && isObject(doc.webhooks) ? 'webhooks only: no operations to import' : 'missing or not an object');
  pruneForTools(doc, { keepResponses: opts.keepResponses ?? true });

  // JSON can spell the key with escapes (`"\u005f_proto__"`) that the text check cannot see.
  if (hasProtoKey(doc)) return fail('(json)', 'the key "__proto__" is not allowed');
  const external = externalRefs(doc);
  if (external.length > 0) {
    const shown = external.slice(0, MAX_REPORTED_REFS).map((r) => `${r.path} -> ${clip(r.ref)}`);
    const more = external.length > MAX_REPORTED_REFS ? ` (and ${external.length - MAX_REPORTED_REFS} more)` : '';
    return fail(external[0]!.path, `external $ref refused (bundle the spec into one file): ${shown.join('; ')}${more}`);
  }

  let upgraded: Record<string, unknown>;
  try {
    upgraded = upgrade(doc).specification as Record<string, unknown>;
  } catch (err) {
    return fail('(root)', `cannot convert to OpenAPI 3.1: ${clip((err as Error).message)}`);
  }
  const deref = await dereference(upgraded);
  const unresolved = (deref.errors ?? []).map((e) => clip(e.message));
  if (!isObject(deref.schema)) return fail('(root)', `cannot resolve $refs: ${unresolved.slice(0, 3).join('; ') || 'no document'}`);
  const info = isObject(deref.schema.info) ? deref.schema.info : {};
  // A dangling internal $ref leaves its operations unusable, not the whole API: the mapper
  // skips operations that still contain a $ref.
  return { ok: true, spec: { version, document: deref.schema, title: typeof info.title === 'string' ? info.title : '', warnings: [...parseWarnings, ...unresolved] } };
}

function parseText(file: string, text: string): { ok: true; value: unknown; warnings: string[] } | { ok: false; issues: ConfigIssue[] } {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    // A byte-order mark is not JSON; editors on some systems write one.
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const bytes = Buffer.from(text, 'utf8');
    const scan = scanJson(bytes, MAX_SPEC_DEPTH);
    if (scan.problem === 'too-deep') return { ok: false, issues: [{ file, path: '(json)', message: `nesting deeper than ${MAX_SPEC_DEPTH} levels` }] };
    // JSON.parse makes `__proto__` an own key, but libraries that copy with assignment would
    // turn it into a prototype: refuse it as the YAML reader does.
    if (/"__proto__"\s*:/.test(text)) return { ok: false, issues: [{ file, path: '(json)', message: 'the key "__proto__" is not allowed' }] };
    try {
      const value: unknown = JSON.parse(text);
      return { ok: true, value, warnings: scan.repeated ? [repeatedKeyWarning(bytes, scan.repeated)] : [] };
    } catch (err) {
      return { ok: false, issues: [{ file, path: '(json)', message: clip((err as Error).message) }] };
    }
  }
  const yaml = parseYaml(file, text, MAX_SPEC_DEPTH);
  return yaml.ok ? { ...yaml, warnings: [] } : yaml;
}

/**
 * JSON allows a repeated key and keeps its last value, so a spec that repeats one (a path or
 * an operation written twice) still loads, but silently loses the first: say where. (A YAML
 * spec that does so is refused: YAML forbids it.) The scan that found it says which key and
 * where, so this costs one count of line breaks, whatever the spec's size.
 */
function repeatedKeyWarning(bytes: Buffer, repeated: { key: string; offset: number }): string {
  let line = 1;
  for (let i = bytes.indexOf(0x0a); i !== -1 && i < repeated.offset; i = bytes.indexOf(0x0a, i + 1)) line++;
  return `line ${line}: an object repeats the key ${clip(JSON.stringify(repeated.key))}; only its last value is used`;
}

function specVersion(doc: Record<string, unknown>): SpecVersion | null {
  if (doc.swagger === '2.0' || doc.swagger === 2) return '2.0';
  if (typeof doc.openapi !== 'string') return null;
  if (/^3\.0\.\d+$/.test(doc.openapi)) return '3.0';
  if (/^3\.1\.\d+$/.test(doc.openapi)) return '3.1';
  return null;
}

/** Every `$ref` whose target is not inside this document (`#...`), with where it was found. Iterative: specs can be deep. */
export function externalRefs(doc: unknown): Array<{ path: string; ref: string }> {
  const out: Array<{ path: string; ref: string }> = [];
  const stack: Array<{ value: unknown; path: string }> = [{ value: doc, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: `${path}[${i}]` });
    } else if (isObject(value)) {
      const ref = value.$ref;
      if (typeof ref === 'string' && !ref.startsWith('#')) out.push({ path: path || '(root)', ref });
      // Any object with a $ref that is not a string is left to the mapper (it cannot resolve).
      for (const key of Object.keys(value)) {
        if (key === '$ref') continue;
        stack.push({ value: value[key], path: path ? `${path}.${key}` : key });
      }
    }
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function clip(s: string): string {
  const clean = neutralize(s);
  return clean.length > 160 ? `${clean.slice(0, 157)}...` : clean;
}

/** True when some object has an own `__proto__` key. Iterative: specs can be deep. */
function hasProtoKey(doc: unknown): boolean {
  const stack: unknown[] = [doc];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return true;
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push(child);
  }
  return false;
}

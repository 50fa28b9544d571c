/**
 * OpenAPI 3.1 schema objects (dereferenced, so possibly cyclic object graphs) to plain,
 * self-contained JSON Schema 2020-12.
 *
 * Recursion: a schema met again while it is still being converted (on the current path)
 * becomes a `$defs` entry, and every occurrence of it a `$ref`. The dereferencer resolves a
 * `$ref` by shallow-copying its target into the referring object, so one component appears
 * as many distinct objects that share their values: such copies count as the same schema
 * (see sameSchema), which keeps one `$defs` entry per recursive component instead of one
 * unrolled level per place it is used. Shared schemas that are not recursive are inlined.
 *
 * One SchemaConverter serves one tool: its `$defs` are shared by all the schemas converted
 * for that tool (parameters, body, response) and belong at the root of the tool's schema.
 * Its node budget bounds the work and the size of the result for that tool.
 */
import { copyJsonValue, isPlainObject, own, setOwn } from './json-value.js';
import { NO_SCHEMA_NAMES, type SchemaNames } from './schema-names.js';
import { firstObjectValue, sameSchema } from './schema-identity.js';
import { bytesSchema, carriesBytes, isValidPattern, readTypes, scalarKeywords } from './schema-keywords.js';

export type JsonSchema = boolean | Record<string, unknown>;
export type SchemaDirection = 'request' | 'response';
/**
 * 'base64': a string that carries bytes (`format: binary`, `contentMediaType`,
 * `contentEncoding`) becomes a base64 string argument, and its location is reported.
 * 'keep': those keywords stay as annotations (JSON bodies, parameters, responses).
 */
export type BinaryStrings = 'base64' | 'keep';

export const DEFAULT_MAX_NODES = 20_000;
export const DEFAULT_MAX_DEPTH = 64;
export const TRUNCATED_DESCRIPTION = 'truncated: schema too large';

const MAX_VALUE_NODES = 5_000;
const MAX_EXAMPLE_NODES = 200;
const MAX_WARNINGS = 50;
const SUBSCHEMAS = ['additionalProperties', 'propertyNames', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'not', 'if', 'then', 'else'] as const;
const COMPOSITIONS = ['allOf', 'anyOf', 'oneOf'] as const;

export interface ConverterOptions {
  direction: SchemaDirection;
  /** Component names for `$defs` entries (indexSchemaNames); else a `title`, else `Schema<n>`. */
  names?: SchemaNames;
  maxNodes?: number;
  maxDepth?: number;
  /**
   * Also move a schema met a second time into `$defs` when its conversion has at least this
   * many nodes, though it is not recursive. Off by default (tool inputs are inlined, as some
   * clients ignore `$defs`); output schemas use it, or Stripe's expandable objects repeat
   * the same component dozens of times in one response schema.
   */
  shareRepeated?: number;
}

export interface Converted {
  schema: JsonSchema;
  /** JSON pointers (relative to this schema) of the strings rewritten as base64 bytes. */
  binary: string[];
}

interface PathEntry {
  src: Record<string, unknown>;
  firstObject: object | null;
  defName: string | null;
}

interface DefEntry {
  src: Record<string, unknown>;
  mode: BinaryStrings;
  name: string;
}

/** A finished inline conversion that may move to `$defs` if its source is met again. */
interface InlineEntry {
  src: Record<string, unknown>;
  mode: BinaryStrings;
  out: Record<string, unknown>;
  nodes: number;
}

export class SchemaConverter {
  readonly warnings: string[] = [];
  /** `$ref` values still present in the input (external or unresolvable): the caller refuses the schema. */
  readonly unresolvedRefs: string[] = [];
  private readonly direction: SchemaDirection;
  private readonly names: SchemaNames;
  private readonly maxNodes: number;
  private readonly maxDepth: number;
  private readonly defs = new Map<string, JsonSchema>();
  /** Finished `$defs` entries by the first object value of their source (see firstObjectValue). */
  private readonly defIndex = new Map<object, DefEntry[]>();
  private readonly defBySource = new Map<object, DefEntry[]>();
  private readonly shareRepeated: number | undefined;
  private readonly inline = new Map<object, InlineEntry[]>();
  private path: PathEntry[] = [];
  private nodes = 0;
  private truncatedWarned = false;
  private droppedWarnings = 0;
  private mode: BinaryStrings = 'keep';
  private label = '';
  private binary: string[] = [];

  constructor(options: ConverterOptions) {
    this.direction = options.direction;
    this.names = options.names ?? NO_SCHEMA_NAMES;
    this.maxNodes = options.maxNodes ?? DEFAULT_MAX_NODES;
    this.maxDepth = options.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.shareRepeated = options.shareRepeated;
  }

  /** `label` prefixes this schema's warnings (e.g. `parameter query "limit"`). */
  convert(schema: unknown, options: { binary: BinaryStrings; label: string }): Converted {
    this.mode = options.binary;
    this.label = options.label;
    this.binary = [];
    this.path = [];
    const out = this.node(schema, '', 0);
    return { schema: out, binary: this.binary };
  }

  /** The `$defs` collected so far, for the root of the final schema; null when there are none. */
  rootDefs(): Record<string, JsonSchema> | null {
    if (this.defs.size === 0) return null;
    const out: Record<string, JsonSchema> = {};
    for (const [name, schema] of this.defs) setOwn(out, name, schema);
    return out;
  }

  /** Follows `{ $ref: '#/$defs/x' }` to the entry (for shape decisions); other schemas as they are. */
  resolve(schema: JsonSchema): JsonSchema {
    let s = schema;
    for (let i = 0; i < 8 && isPlainObject(s) && typeof s.$ref === 'string' && s.$ref.startsWith(DEFS_PREFIX); i++) {
      const next = this.defs.get(s.$ref.slice(DEFS_PREFIX.length));
      if (next === undefined) break;
      s = next;
    }
    return s;
  }

  private warn(ptr: string, message: string): void {
    if (this.warnings.length >= MAX_WARNINGS) {
      this.droppedWarnings++;
      this.warnings[MAX_WARNINGS - 1] = `... and ${this.droppedWarnings + 1} more schema warnings`;
      return;
    }
    this.warnings.push(`${this.label || 'schema'}${ptr}: ${message}`);
  }

  private node(src: unknown, ptr: string, depth: number): JsonSchema {
    if (typeof src === 'boolean') return src;
    if (!isPlainObject(src)) {
      this.warn(ptr, 'not a schema object; any value accepted');
      return {};
    }
    const ref = own(src, '$ref');
    if (ref !== undefined) {
      this.unresolvedRefs.push(typeof ref === 'string' ? ref : JSON.stringify(ref) ?? 'invalid $ref');
      return {};
    }
    const firstObject = firstObjectValue(src);
    const def = this.findDef(src, firstObject);
    if (def !== null) return { $ref: DEFS_PREFIX + def };
    for (const entry of this.path) {
      if (entry.src === src || (firstObject !== null && entry.firstObject === firstObject && sameSchema(entry.src, src))) {
        entry.defName ??= this.reserveDefName(entry.src);
        return { $ref: DEFS_PREFIX + entry.defName };
      }
    }
    if (this.shareRepeated !== undefined && firstObject !== null) {
      const shared = this.shareInline(src, firstObject);
      if (shared !== null) return { $ref: DEFS_PREFIX + shared };
    }
    if (depth >= this.maxDepth || this.nodes >= this.maxNodes) return this.truncate(ptr);
    const before = this.nodes++;
    const entry: PathEntry = { src, firstObject, defName: null };
    this.path.push(entry);
    let out: JsonSchema;
    try {
      out = this.convertObject(src, ptr, depth + 1);
    } finally {
      this.path.pop();
    }
    if (entry.defName === null) {
      // Roots are left out: callers add their own description or type to a root.
      if (this.shareRepeated !== undefined && depth > 0 && firstObject !== null && typeof out === 'object' && this.nodes - before >= this.shareRepeated) {
        push(this.inline, firstObject, { src, mode: this.mode, out, nodes: this.nodes - before });
      }
      return out;
    }
    this.defs.set(entry.defName, out);
    this.indexDef({ src, mode: this.mode, name: entry.defName }, firstObject);
    return { $ref: DEFS_PREFIX + entry.defName };
  }

  /**
   * The second time a large non-recursive schema is met: its first, inline conversion moves
   * to `$defs` and is replaced in place by a `$ref` (the object is ours and referenced only
   * there), and this occurrence refers to it too.
   */
  private shareInline(src: Record<string, unknown>, firstObject: object): string | null {
    const list = this.inline.get(firstObject);
    const i = list?.findIndex((e) => e.mode === this.mode && sameSchema(e.src, src)) ?? -1;
    if (list === undefined || i < 0) return null;
    const found = list[i] as InlineEntry;
    list.splice(i, 1);
    const name = this.reserveDefName(found.src);
    this.defs.set(name, { ...found.out });
    for (const k of Object.keys(found.out)) delete found.out[k];
    found.out.$ref = DEFS_PREFIX + name;
    this.indexDef({ src: found.src, mode: this.mode, name }, firstObject);
    return name;
  }

  private truncate(ptr: string): JsonSchema {
    if (!this.truncatedWarned) {
      this.truncatedWarned = true;
      this.warn(ptr, `schema cut at ${this.nodes >= this.maxNodes ? `${this.maxNodes} nodes` : `depth ${this.maxDepth}`}; the rest accepts any value`);
    }
    return { description: TRUNCATED_DESCRIPTION };
  }

  private findDef(src: Record<string, unknown>, firstObject: object | null): string | null {
    for (const e of this.defBySource.get(src) ?? []) if (e.mode === this.mode) return e.name;
    if (firstObject === null) return null;
    for (const e of this.defIndex.get(firstObject) ?? []) if (e.mode === this.mode && sameSchema(e.src, src)) return e.name;
    return null;
  }

  private indexDef(entry: DefEntry, firstObject: object | null): void {
    push(this.defBySource, entry.src, entry);
    if (firstObject !== null) push(this.defIndex, firstObject, entry);
  }

  /** Component name, else title, else `Schema<n>`; made unique with `_2`, `_3`... in order of creation. */
  private reserveDefName(src: Record<string, unknown>): string {
    const title = own(src, 'title');
    const base = sanitizeDefName(this.names.nameOf(src)) ?? sanitizeDefName(typeof title === 'string' ? title : undefined) ?? `Schema${this.defs.size + 1}`;
    let name = base;
    for (let i = 2; this.defs.has(name); i++) name = `${base}_${i}`;
    // Placeholder keeps `$defs` in the order names were given; the schema replaces it when done.
    this.defs.set(name, {});
    return name;
  }

  private convertObject(src: Record<string, unknown>, ptr: string, depth: number): JsonSchema {
    const warn = (message: string): void => this.warn(ptr, message);
    const { types, fileType } = readTypes(src, warn);
    if (this.mode === 'base64' && carriesBytes(src, types, fileType)) {
      this.binary.push(ptr);
      return bytesSchema(src);
    }

    const out: Record<string, unknown> = {};
    for (const k of ['title', 'description'] as const) {
      const v = own(src, k);
      if (typeof v === 'string') out[k] = v;
    }
    if (types !== null) out.type = types.length === 1 ? types[0] : types;
    for (const k of ['deprecated', 'readOnly', 'writeOnly', 'uniqueItems'] as const) {
      const v = own(src, k);
      if (typeof v === 'boolean') out[k] = v;
    }
    this.values(src, out, ptr, types);
    scalarKeywords(src, out, warn);
    this.arrayKeywords(src, out, ptr, depth, types);
    this.objectKeywords(src, out, ptr, depth);
    for (const k of SUBSCHEMAS) {
      if (own(src, k) !== undefined) out[k] = this.node(own(src, k), `${ptr}/${k}`, depth);
    }
    for (const k of COMPOSITIONS) {
      const v = own(src, k);
      if (v === undefined) continue;
      if (!Array.isArray(v)) this.warn(ptr, `${k} is not an array; dropped`);
      else if (v.length > 0) out[k] = v.map((m, i) => this.node(m, `${ptr}/${k}/${i}`, depth));
    }
    if (this.mode === 'keep') {
      for (const k of ['contentMediaType', 'contentEncoding'] as const) {
        const v = own(src, k);
        if (typeof v === 'string') out[k] = v;
      }
    }
    // 3.0's `nullable` without `type` survives the upgrade (GitHub: nullable + allOf); it meant "or null".
    if (own(src, 'nullable') === true && types === null && Object.keys(out).some((k) => !ANNOTATIONS.has(k))) {
      const outer: Record<string, unknown> = {};
      for (const k of ANNOTATIONS) {
        if (k in out) {
          outer[k] = out[k];
          delete out[k];
        }
      }
      outer.anyOf = [out, { type: 'null' }];
      return outer;
    }
    return out;
  }

  private values(src: Record<string, unknown>, out: Record<string, unknown>, ptr: string, types: string[] | null): void {
    const e = own(src, 'enum');
    if (Array.isArray(e)) {
      const copied = this.copyValue(e, ptr, 'enum', MAX_VALUE_NODES);
      if (Array.isArray(copied)) {
        // The upgrader turns `nullable: true` into a "null" type but leaves null out of the enum.
        if (types?.includes('null') && !copied.includes(null)) copied.push(null);
        out.enum = copied;
      }
    } else if (e !== undefined) this.warn(ptr, 'enum is not an array; dropped');
    for (const k of ['const', 'default'] as const) {
      if (Object.hasOwn(src, k)) {
        const copied = this.copyValue(src[k], ptr, k, MAX_VALUE_NODES);
        if (copied !== undefined) out[k] = copied;
      }
    }
    const examples = own(src, 'examples');
    if (Array.isArray(examples) && examples.length > 0) {
      // Annotations only: one too large or not JSON is left out without a warning.
      const c = copyJsonValue(examples, MAX_EXAMPLE_NODES);
      if (c.ok) {
        this.nodes += Math.ceil(c.nodes / 10);
        out.examples = c.value;
      }
    }
  }

  private copyValue(value: unknown, ptr: string, keyword: string, max: number): unknown {
    const c = copyJsonValue(value, max);
    if (!c.ok) {
      this.warn(ptr, `${keyword} dropped (${c.why === 'too-large' ? 'too large' : c.why === 'cycle' ? 'cyclic value' : 'not JSON'})`);
      return undefined;
    }
    this.nodes += Math.ceil(c.nodes / 10);
    return c.value;
  }

  private arrayKeywords(src: Record<string, unknown>, out: Record<string, unknown>, ptr: string, depth: number, types: string[] | null): void {
    const items = own(src, 'items');
    const prefixItems = own(src, 'prefixItems');
    if (Array.isArray(prefixItems) && prefixItems.length > 0) {
      out.prefixItems = prefixItems.map((s, i) => this.node(s, `${ptr}/prefixItems/${i}`, depth));
    } else if (Array.isArray(items) && items.length > 0) {
      // Draft-04 tuple form.
      out.prefixItems = items.map((s, i) => this.node(s, `${ptr}/items/${i}`, depth));
    }
    if (items !== undefined && !Array.isArray(items)) out.items = this.node(items, `${ptr}/items`, depth);
    // Some clients (OpenAI) reject an array schema without `items`.
    if (types?.includes('array') && out.items === undefined) out.items = {};
  }

  private objectKeywords(src: Record<string, unknown>, out: Record<string, unknown>, ptr: string, depth: number): void {
    const props = own(src, 'properties');
    if (isPlainObject(props)) {
      const o: Record<string, unknown> = {};
      for (const [name, s] of Object.entries(props)) {
        if (this.hiddenByDirection(s)) continue;
        setOwn(o, name, this.node(s, `${ptr}/properties/${escapePointer(name)}`, depth));
      }
      out.properties = o;
    } else if (props !== undefined) this.warn(ptr, 'properties is not an object; dropped');
    const required = own(src, 'required');
    if (Array.isArray(required)) {
      const hidden = this.hiddenPropertyNames(src);
      const names = [...new Set(required.filter((r): r is string => typeof r === 'string' && !hidden.has(r)))];
      if (names.length > 0) out.required = names;
    }
    const patternProps = own(src, 'patternProperties');
    if (isPlainObject(patternProps)) {
      const o: Record<string, unknown> = {};
      for (const [p, s] of Object.entries(patternProps)) {
        if (isValidPattern(p)) setOwn(o, p, this.node(s, `${ptr}/patternProperties/${escapePointer(p)}`, depth));
        else this.warn(ptr, `patternProperties key ${JSON.stringify(p.slice(0, 80))} is not a valid regular expression; dropped`);
      }
      out.patternProperties = o;
    }
    const depRequired = own(src, 'dependentRequired');
    if (isPlainObject(depRequired)) {
      const o: Record<string, unknown> = {};
      for (const [p, list] of Object.entries(depRequired)) {
        if (Array.isArray(list)) setOwn(o, p, [...new Set(list.filter((x): x is string => typeof x === 'string'))]);
      }
      out.dependentRequired = o;
    }
    const depSchemas = own(src, 'dependentSchemas');
    if (isPlainObject(depSchemas)) {
      const o: Record<string, unknown> = {};
      for (const [p, s] of Object.entries(depSchemas)) setOwn(o, p, this.node(s, `${ptr}/dependentSchemas/${escapePointer(p)}`, depth));
      out.dependentSchemas = o;
    }
  }

  /** readOnly properties are not sent (request); writeOnly ones are not returned (response). */
  private hiddenByDirection(s: unknown): boolean {
    return isPlainObject(s) && own(s, this.direction === 'request' ? 'readOnly' : 'writeOnly') === true;
  }

  /**
   * Names to take out of this schema's `required`: hidden properties of its own and of its
   * allOf members (a common layout: `required` beside an allOf that declares the
   * properties), unless this schema itself declares the name visibly.
   */
  private hiddenPropertyNames(src: Record<string, unknown>): Set<string> {
    const hidden = new Set<string>();
    const visible = new Set<string>();
    const visit = (s: unknown, level: number, seen: Set<object>): void => {
      if (!isPlainObject(s) || seen.has(s) || level > 4) return;
      seen.add(s);
      const props = own(s, 'properties');
      if (isPlainObject(props)) {
        for (const [name, p] of Object.entries(props)) {
          if (this.hiddenByDirection(p)) hidden.add(name);
          else if (level === 0) visible.add(name);
        }
      }
      const allOf = own(s, 'allOf');
      if (Array.isArray(allOf)) for (const m of allOf) visit(m, level + 1, seen);
    };
    visit(src, 0, new Set());
    for (const v of visible) hidden.delete(v);
    return hidden;
  }
}

export const DEFS_PREFIX = '#/$defs/';

const ANNOTATIONS = new Set(['title', 'description', 'deprecated', 'default', 'examples']);

/**
 * One schema converted alone, its `$defs` at its root. `binary` defaults to 'base64' for
 * requests and 'keep' for responses.
 */
export function convertSchema(
  schema: unknown,
  opts: ConverterOptions & { binary?: BinaryStrings },
): { schema: Record<string, unknown>; warnings: string[]; unresolvedRefs: string[]; binary: string[] } {
  const converter = new SchemaConverter(opts);
  const { schema: out, binary } = converter.convert(schema, { binary: opts.binary ?? (opts.direction === 'request' ? 'base64' : 'keep'), label: '' });
  const root = asObjectSchema(out);
  const defs = converter.rootDefs();
  if (defs !== null) root.$defs = defs;
  return { schema: root, warnings: converter.warnings, unresolvedRefs: converter.unresolvedRefs, binary };
}

/** `true` and `false` as object schemas, for places that need an object (a root, a property with a description). */
export function asObjectSchema(s: JsonSchema): Record<string, unknown> {
  if (s === true) return {};
  if (s === false) return { not: {} };
  return s;
}

function sanitizeDefName(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const s = raw.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 64);
  return s === '' || s === '_' ? null : s;
}

function escapePointer(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

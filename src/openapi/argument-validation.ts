/**
 * Tool arguments are checked against the tool's input schema before any request is built.
 * The validator interprets the schema (@cfworker/json-schema) rather than compiling it to
 * JavaScript: schemas come from untrusted spec files, and nothing from them is ever turned
 * into code.
 */
import { Validator, type OutputUnit } from '@cfworker/json-schema';

/** Errors of keywords that only say "a child failed": the child's own error is the useful one. */
const WRAPPERS = new Set(['properties', '$ref', 'items', 'prefixItems', 'allOf', 'additionalProperties', 'patternProperties', 'dependentSchemas', 'unevaluatedProperties', 'unevaluatedItems', 'contains']);
const MAX_VIOLATIONS = 50;

export interface ArgumentCheck {
  (args: unknown): string[];
}

/**
 * Compiles (once) a checker returning every violation as "<path>: <reason>", or [] when valid.
 * `root` names the instance in messages about the whole of it: the arguments, or a response.
 */
export function argumentChecker(schema: object, root = '(arguments)'): ArgumentCheck {
  // The validator annotates the schema objects it indexes; the tool's own schema is frozen and shared.
  const copy = structuredClone(schema);
  dropPatterns(copy);
  const validator = new Validator(copy as never, '2020-12', false);
  return (args) => {
    const result = validator.validate(args);
    if (result.valid) return [];
    return describe(result.errors, root);
  };
}

function describe(errors: OutputUnit[], root: string): string[] {
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const chosen = leaves.length > 0 ? leaves : errors;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of chosen) {
    const where = e.instanceLocation === '#' ? root : e.instanceLocation.replace(/^#\//, '').replace(/\//g, '.');
    const line = `${where}: ${e.keyword === 'false' ? 'not allowed here (unknown property)' : e.error}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push(line.length > 300 ? `${line.slice(0, 297)}...` : line);
    if (out.length === MAX_VIOLATIONS) {
      out.push(`... and more (${chosen.length - MAX_VIOLATIONS} not shown)`);
      break;
    }
  }
  return out;
}

/**
 * Regular expressions from a spec are not run by the gateway: a crafted pattern (nested or
 * overlapping quantifiers, in forms no filter catches reliably) would let a short argument,
 * or an API's response, hold the event loop for minutes, and JavaScript's engine has no time
 * limit. `pattern` and `patternProperties` stay in the schema clients see; the API checks its
 * own input. Every other keyword is checked.
 */
function dropPatterns(root: unknown): void {
  // `schema`: a schema object (its keys are keywords); `map`: an object of named schemas
  // (properties, $defs...), whose keys are names, so a property called "default" is still walked.
  const stack: Array<{ v: unknown; as: 'schema' | 'map' }> = [{ v: root, as: 'schema' }];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const { v, as } = stack.pop()!;
    if (typeof v !== 'object' || v === null || seen.has(v)) continue;
    seen.add(v);
    if (Array.isArray(v) || as === 'map') {
      for (const child of Object.values(v)) stack.push({ v: child, as: 'schema' });
      continue;
    }
    const o = v as Record<string, unknown>;
    if (typeof o.pattern === 'string') delete o.pattern;
    // Its names are regular expressions too. Without them the properties they would have
    // matched look additional: let those through rather than refuse valid arguments.
    if (o.patternProperties !== undefined) {
      delete o.patternProperties;
      if (o.additionalProperties === false) delete o.additionalProperties;
    }
    for (const [k, child] of Object.entries(o)) {
      if (DATA_KEYWORDS.has(k)) continue;
      stack.push({ v: child, as: SCHEMA_MAPS.has(k) ? 'map' : 'schema' });
    }
  }
}

/** Keywords whose values are instances, not schemas: a `pattern` key inside them is data. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'example']);
/** Keywords whose values map names to schemas. */
const SCHEMA_MAPS = new Set(['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas']);

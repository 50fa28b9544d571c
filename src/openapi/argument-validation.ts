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

/** Compiles (once) a checker returning every violation as "<path>: <reason>", or [] when valid. */
export function argumentChecker(schema: object): ArgumentCheck {
  // The validator annotates the schema objects it indexes; the tool's own schema is frozen and shared.
  const validator = new Validator(structuredClone(schema) as never, '2020-12', false);
  return (args) => {
    const result = validator.validate(args);
    if (result.valid) return [];
    return describe(result.errors);
  };
}

function describe(errors: OutputUnit[]): string[] {
  const leaves = errors.filter((e) => !WRAPPERS.has(e.keyword));
  const chosen = leaves.length > 0 ? leaves : errors;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const e of chosen) {
    const where = e.instanceLocation === '#' ? '(arguments)' : e.instanceLocation.replace(/^#\//, '').replace(/\//g, '.');
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

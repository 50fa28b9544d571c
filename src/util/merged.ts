/**
 * `{ ...a, ...b, ... }` for objects the gateway builds itself (never for parsed client JSON:
 * Object.assign would turn its own "__proto__" key into a prototype, where a spread keeps it a
 * key). On the V8 of Node 20, an object spread followed by keys the spread object lacks (a
 * second spread, or a literal key it has not got) keeps everything the result references
 * alive through young-generation collections until a full one; Object.assign onto a new object
 * does not (measured with `--trace-gc-nvp`, docs/benchmarks.md run L). Used on the request path.
 */
export function merged<T extends object>(...parts: ReadonlyArray<Partial<T> | undefined>): T {
  return Object.assign({}, ...parts) as T;
}

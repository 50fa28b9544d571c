/**
 * Drops the parts of a parsed spec that no tool needs, before the (memory-hungry) upgrade
 * and dereference: examples (GitHub's spec carries megabytes of them), webhooks, the `x-`
 * extensions of paths and operations, and responses unless an output schema was asked for.
 * The rest of the document is untouched. Mutates in place.
 */
import { isObject } from '../util/is-object.js';

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

export function pruneForTools(doc: Record<string, unknown>, opts: { keepResponses: boolean }): void {
  const components = isObject(doc.components) ? doc.components : null;
  if (components) {
    delete components.examples;
    if (!opts.keepResponses) {
      delete components.responses;
      delete components.headers;
      delete components.links;
    }
  }
  // Swagger 2.0 keeps shared responses at the root.
  if (!opts.keepResponses) delete doc.responses;
  // Requests the API sends, not operations an agent can call (3.1 `webhooks`; GitHub's 3.0
  // spec carries them as `x-webhooks`, examples and all): never tools, so not worth resolving.
  delete doc.webhooks;
  delete doc['x-webhooks'];
  const paths = isObject(doc.paths) ? doc.paths : {};
  for (const item of Object.values(paths)) {
    if (!isObject(item)) continue;
    dropExtensions(item);
    dropParameterExamples(item.parameters);
    for (const m of METHODS) {
      const op = item[m];
      if (!isObject(op)) continue;
      dropExtensions(op);
      dropParameterExamples(op.parameters);
      if (isObject(op.requestBody)) dropMediaExamples(op.requestBody.content);
      // Swagger 2.0 operations have `responses` too; a default keeps them valid.
      if (!opts.keepResponses) op.responses = { default: { description: 'response' } };
      else if (isObject(op.responses)) for (const r of Object.values(op.responses)) if (isObject(r)) dropMediaExamples(r.content);
      delete op.callbacks;
    }
  }
  const requestBodies = components && isObject(components.requestBodies) ? components.requestBodies : {};
  for (const b of Object.values(requestBodies)) if (isObject(b)) dropMediaExamples(b.content);
  const parameters = components && isObject(components.parameters) ? components.parameters : {};
  dropParameterExamples(Object.values(parameters));
}

/**
 * `x-` members of path items and operations: vendor data no tool is made from (GitHub's
 * `x-github-breaking-changes` holds whole response objects whose $refs point at the pruned
 * responses; `x-codeSamples` can be larger than the operation).
 */
function dropExtensions(o: Record<string, unknown>): void {
  for (const key of Object.keys(o)) if (key.startsWith('x-')) delete o[key];
}

function dropParameterExamples(list: unknown): void {
  if (!Array.isArray(list)) return;
  for (const p of list) {
    if (!isObject(p)) continue;
    delete p.example;
    delete p.examples;
    // Swagger 2.0 uses x-example; 3.x parameters may use content.
    dropMediaExamples(p.content);
  }
}

function dropMediaExamples(content: unknown): void {
  if (!isObject(content)) return;
  for (const media of Object.values(content)) {
    if (!isObject(media)) continue;
    delete media.example;
    delete media.examples;
  }
}

/**
 * Tool arguments (already validated against the tool's input schema) to the HTTP request the
 * OperationPlan describes, before credentials. Every problem is collected, each naming its
 * argument, so the agent can fix them all in one go; nothing is sent if there is any.
 *
 * Arguments absent from the plan are never read. An argument that is absent (or undefined)
 * is not sent; an explicit null is written as the style table's "undefined" column says
 * (style-serialize.ts), except in bodies (body.ts, form-body.ts, multipart-body.ts).
 */
import type { BuiltRequest, OperationPlan, ParameterPlan } from '../plan.js';
import { buildBody, type BodyArgs } from './body.js';
import { cookieEntries } from './cookie.js';
import { headerEntry } from './header.js';
import { buildPath, type BoundValue } from './path.js';
import { ValueProblem } from './percent-encode.js';
import { queryEntries } from './query.js';

export interface BuildRequestOptions {
  /** The import's base URL path, e.g. `/v2`, or `''`. */
  basePath: string;
  /** Lower-case header, query and cookie names the credential injector uses: agents may not set them. */
  reserved: ReadonlySet<string>;
}

export type BuildRequestResult = { ok: true; request: BuiltRequest } | { ok: false; problems: string[] };

export function buildRequest(plan: OperationPlan, args: Record<string, unknown>, opts: BuildRequestOptions): BuildRequestResult {
  const problems: string[] = [];
  const bound = new Map<number, BoundValue>();
  const bodyArgs: BodyArgs = { whole: undefined, fields: [], argNames: [] };
  for (const binding of plan.args) {
    const value = Object.hasOwn(args, binding.arg) ? args[binding.arg] : undefined;
    if (binding.to === 'parameter') {
      bound.set(binding.index, { arg: binding.arg, value });
      continue;
    }
    bodyArgs.argNames.push(binding.arg);
    if (value === undefined) continue;
    if (binding.to === 'body') bodyArgs.whole = { arg: binding.arg, value };
    else bodyArgs.fields.push({ arg: binding.arg, property: binding.property, value });
  }

  const path = buildPath(plan.pathTemplate, plan.parameters, bound, opts.basePath, problems);
  const request: BuiltRequest = { method: plan.method, path: path ?? '', query: [], headers: Object.create(null) as Record<string, string>, cookies: [], body: null };
  plan.parameters.forEach((param, index) => {
    if (param.in === 'path') return;
    const arg = bound.get(index);
    if (arg === undefined || arg.value === undefined) {
      if (param.required) problems.push(`${arg?.arg ?? param.name}: required ${param.in} parameter "${param.name}" is missing`);
      return;
    }
    try {
      addParameter(request, param, arg.value, opts.reserved);
    } catch (err) {
      if (!(err instanceof ValueProblem)) throw err;
      problems.push(`${arg.arg}: ${err.message}`);
    }
  });
  if (plan.body !== null) request.body = buildBody(plan.body, bodyArgs, problems);

  if (problems.length > 0 || path === null) return { ok: false, problems };
  return { ok: true, request };
}

function addParameter(request: BuiltRequest, param: ParameterPlan, value: unknown, reserved: ReadonlySet<string>): void {
  switch (param.in) {
    case 'query':
      for (const entry of queryEntries(param, value, reserved)) request.query.push(entry);
      return;
    case 'cookie':
      for (const entry of cookieEntries(param, value, reserved)) request.cookies.push(entry);
      return;
    case 'header': {
      const header = headerEntry(param, value, reserved);
      if (Object.hasOwn(request.headers, header.name)) throw new ValueProblem(`sets the header "${param.name}" a second time`);
      request.headers[header.name] = header.value;
      return;
    }
    case 'path':
      return;
  }
}

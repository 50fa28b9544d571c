import type { BodyPlan, OperationPlan, ParameterPlan } from '../plan.js';
import { buildRequest, type BuildRequestResult } from './build-request.js';

const DEFAULT_STYLE = { path: 'simple', query: 'form', header: 'simple', cookie: 'form' } as const;

/** A parameter with the spec's defaults for its location, overridable. */
export function param(name: string, where: ParameterPlan['in'], extra: Partial<ParameterPlan> = {}): ParameterPlan {
  const style = extra.style ?? DEFAULT_STYLE[where];
  return { name, in: where, style, explode: style === 'form', allowReserved: false, required: where === 'path', shape: 'any', ...extra };
}

/** A plan whose parameters are each bound to an argument of the same name. */
export function planOf(pathTemplate: string, parameters: ParameterPlan[], body: BodyPlan | null = null, bodyArgs: OperationPlan['args'] = []): OperationPlan {
  return {
    method: body === null ? 'GET' : 'POST',
    pathTemplate,
    parameters,
    body,
    args: [...parameters.map((p, index) => ({ arg: p.name, to: 'parameter' as const, index })), ...bodyArgs],
  };
}

export function bodyOf(mediaType: string, extra: Partial<BodyPlan> = {}): BodyPlan {
  return { mediaType, required: false, encoding: {}, binary: [], shapes: {}, ...extra };
}

export const NO_RESERVED: ReadonlySet<string> = new Set();

export function build(plan: OperationPlan, args: Record<string, unknown>, reserved: ReadonlySet<string> = NO_RESERVED, basePath = ''): BuildRequestResult {
  return buildRequest(plan, args, { basePath, reserved });
}

/** The request, or a failed expectation listing the problems. */
export function built(plan: OperationPlan, args: Record<string, unknown>, reserved: ReadonlySet<string> = NO_RESERVED, basePath = '') {
  const result = build(plan, args, reserved, basePath);
  if (!result.ok) throw new Error(`unexpected problems: ${result.problems.join('; ')}`);
  return result.request;
}

export function problemsOf(plan: OperationPlan, args: Record<string, unknown>, reserved: ReadonlySet<string> = NO_RESERVED, basePath = ''): string[] {
  const result = build(plan, args, reserved, basePath);
  if (result.ok) throw new Error(`expected problems, got a request for ${result.request.path}`);
  return result.problems;
}

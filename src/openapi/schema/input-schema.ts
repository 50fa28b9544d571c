/**
 * One operation's tool input: a JSON Schema 2020-12 object whose properties are the
 * parameters and the request body (flattened when it is an object), and the plan that
 * maps each argument back to where it goes in the HTTP request.
 */
import type { ArgBinding, HttpMethod, OperationPlan, ParamLocation, ParameterPlan } from '../plan.js';
import { assignArgumentNames } from './arg-names.js';
import { asObjectSchema, SchemaConverter, type JsonSchema } from './convert-schema.js';
import { isPlainObject, own, setOwn } from './json-value.js';
import { collectParameters } from './parameters.js';
import { planRequestBody } from './request-body.js';
import type { SchemaNames } from './schema-names.js';
import { shapeOf } from './value-shape.js';

export interface ToolInputRequest {
  method: HttpMethod;
  pathTemplate: string;
  pathItemParameters: unknown[];
  /** The dereferenced OpenAPI 3.1 operation object. */
  operation: any;
  /** Parameters the gateway fills itself (credentials); fixed transport headers are always hidden. */
  isHidden: (p: { name: string; in: ParamLocation }) => boolean;
  /** Component names for `$defs` (indexSchemaNames of the document); optional. */
  schemaNames?: SchemaNames;
  /** Node budget of the tool's schema (default 20,000). */
  maxNodes?: number;
}

export type ToolInput = { ok: true; inputSchema: Record<string, unknown>; plan: OperationPlan; warnings: string[] } | { ok: false; reason: string };

export function buildToolInput(input: ToolInputRequest): ToolInput {
  const operation: unknown = input.operation;
  if (!isPlainObject(operation)) return { ok: false, reason: 'operation is not an object' };
  const params = collectParameters({
    pathTemplate: input.pathTemplate,
    pathItemParameters: Array.isArray(input.pathItemParameters) ? input.pathItemParameters : [],
    operationParameters: own(operation, 'parameters'),
    isHidden: input.isHidden,
  });
  if (!params.ok) return params;

  const converter = new SchemaConverter({ direction: 'request', names: input.schemaNames, maxNodes: input.maxNodes });
  const body = planRequestBody(own(operation, 'requestBody'), converter);
  if (!body.ok) return body;
  const planned = body.body;

  const paramSchemas = params.parameters.map((p) => {
    const converted = converter.convert(p.schema, { binary: 'keep', label: `parameter ${p.in} ${JSON.stringify(p.name)}` });
    return { schema: converted.schema, shape: shapeOf(converted.schema, (s) => converter.resolve(s)) };
  });
  if (converter.unresolvedRefs.length > 0) return { ok: false, reason: `unresolved $ref ${JSON.stringify(converter.unresolvedRefs[0])}` };

  const names = assignArgumentNames({
    parameters: params.parameters,
    bodyProperties: planned?.properties?.map((p) => p.property) ?? [],
    wrappedBody: planned?.wrapped != null,
  });

  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  const args: ArgBinding[] = [];
  const parameters: ParameterPlan[] = [];
  params.parameters.forEach((p, index) => {
    const arg = names.parameterArgs[index] as string;
    const { schema, shape } = paramSchemas[index] as { schema: JsonSchema; shape: ParameterPlan['shape'] };
    setOwn(properties, arg, describeParameter(schema, p.description, p.deprecated));
    if (p.required) required.push(arg);
    args.push({ arg, to: 'parameter', index });
    const plan: ParameterPlan = { name: p.name, in: p.in, style: p.style, explode: p.explode, allowReserved: p.allowReserved, required: p.required, shape };
    if (p.contentType !== undefined) plan.contentType = p.contentType;
    parameters.push(plan);
  });
  if (planned?.properties) {
    for (const prop of planned.properties) {
      setOwn(properties, prop.property, prop.schema);
      // An optional body is all-or-nothing: its required properties are required only when the body is.
      if (planned.plan.required && prop.required) required.push(prop.property);
      args.push({ arg: prop.property, to: 'body-property', property: prop.property });
    }
  } else if (planned?.wrapped && names.bodyArg !== null) {
    setOwn(properties, names.bodyArg, planned.wrapped.schema);
    if (planned.wrapped.required) required.push(names.bodyArg);
    args.push({ arg: names.bodyArg, to: 'body' });
  }

  const inputSchema: Record<string, unknown> = { type: 'object', properties };
  if (required.length > 0) inputSchema.required = required;
  inputSchema.additionalProperties = false;
  const defs = converter.rootDefs();
  if (defs !== null) inputSchema.$defs = defs;

  return {
    ok: true,
    inputSchema,
    plan: { method: input.method, pathTemplate: input.pathTemplate, parameters, body: planned?.plan ?? null, args },
    warnings: [...params.warnings, ...body.warnings, ...converter.warnings],
  };
}

/** The parameter's own description and deprecation go on its argument (over the schema's). */
function describeParameter(schema: JsonSchema, description: string | undefined, deprecated: boolean): JsonSchema {
  if (description === undefined && !deprecated) return schema;
  const out = asObjectSchema(schema);
  if (description !== undefined) out.description = description;
  if (deprecated) out.deprecated = true;
  return out;
}

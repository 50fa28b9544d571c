import { isObject } from '../../util/is-object.js';
import { EstimateFlag } from './estimate-flags.js';

/** The size of one text, in tokens (or bytes, for the upper bound), and why it is not exact. */
export interface Measured {
  tokens: number;
  flags: number;
}

export type Measure = (text: string) => Measured;

/** The fixed costs of OpenAI's chat format, or the larger ones an upper bound assumes. */
export interface PromptShape {
  perMessage: number;
  replyPriming: number;
  /** Tokens per function definition before its name and description (see measureToolDefinitions). */
  perFunction: number;
  imageTokens: number;
}

export interface MessageSize extends Measured {
  images: number;
}

/**
 * Tokens allowed per tool call in the history on top of its name and arguments. OpenAI does
 * not document how it renders calls; the call's id, recipient and separators are a few tokens.
 */
const TOOL_CALL_OVERHEAD = 10;
/** Tokens that close the block of tool definitions (OpenAI cookbook, section 7: 12 for every model it lists). */
const TOOL_DEFINITIONS_END = 12;

const FLAT_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'null']);
const FLAT_KEYS = new Set(['type', 'description', 'enum']);

class Tally {
  tokens = 0;
  flags = 0;

  add(m: Measured): void {
    this.tokens += m.tokens;
    this.flags |= m.flags;
  }
}

function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function withoutFinalPeriod(s: string): string {
  return s.endsWith('.') ? s.slice(0, -1) : s;
}

/**
 * One chat message, by the rule of OpenAI's cookbook ("How to count tokens with tiktoken",
 * section 6, checked 2026-11 with the search tool): 3 tokens per message, plus the tokens of
 * each of its values (role, content, name), plus 1 when it has a name; the reply is primed
 * with 3 more (added by the caller). The cookbook verifies it against the API's
 * `usage.prompt_tokens` for gpt-3.5-turbo, gpt-4, gpt-4o and gpt-4o-mini (124 and 129 tokens
 * on its example, reproduced in the tests); a report on pydantic-ai PR #3447 found gpt-5 one
 * token lower (109 counted by the API, 110 by the rule), so the rule errs high there.
 * What the rule does not cover is counted and flagged: images at the configured bound, other
 * parts and unknown fields by their JSON size, tool calls by name + arguments + a margin.
 */
export function measureMessage(message: Record<string, unknown>, measure: Measure, shape: PromptShape): MessageSize {
  const tally = new Tally();
  tally.tokens = shape.perMessage;
  let images = 0;
  const json = (value: unknown, flag: number): void => {
    tally.tokens += jsonBytes(value);
    tally.flags |= flag;
  };
  const toolCall = (call: unknown): void => {
    const fn = isObject(call) ? call.function : undefined;
    if (!isObject(fn)) return json(call, EstimateFlag.TOOL_CALLS);
    tally.add(measure(text(fn.name)));
    tally.add(measure(text(fn.arguments)));
    tally.tokens += TOOL_CALL_OVERHEAD;
    tally.flags |= EstimateFlag.TOOL_CALLS;
  };

  for (const key of Object.keys(message)) {
    const value = message[key];
    if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    switch (key) {
      case 'role':
        if (typeof value === 'string') tally.add(measure(value));
        else json(value, EstimateFlag.OTHER_FIELDS);
        break;
      case 'name':
        if (typeof value === 'string') {
          tally.add(measure(value));
          tally.tokens += 1;
        } else json(value, EstimateFlag.OTHER_FIELDS);
        break;
      case 'content':
        if (typeof value === 'string') tally.add(measure(value));
        else if (Array.isArray(value)) images += measureParts(value, measure, shape, tally);
        else json(value, EstimateFlag.OTHER_PARTS);
        break;
      case 'tool_calls':
        if (Array.isArray(value)) for (const call of value) toolCall(call);
        else json(value, EstimateFlag.TOOL_CALLS);
        break;
      case 'function_call':
        toolCall({ function: value });
        break;
      case 'tool_call_id':
        if (typeof value === 'string') tally.add(measure(value));
        else json(value, EstimateFlag.OTHER_FIELDS);
        tally.flags |= EstimateFlag.TOOL_CALLS;
        break;
      case 'refusal':
        if (typeof value === 'string') tally.add(measure(value));
        else json(value, EstimateFlag.OTHER_FIELDS);
        tally.flags |= EstimateFlag.OTHER_FIELDS;
        break;
      default:
        json(value, EstimateFlag.OTHER_FIELDS);
    }
  }
  return { tokens: tally.tokens, flags: tally.flags, images };
}

/** Content parts: text counted, images at the configured bound, anything else by its JSON size. Returns the image count. */
function measureParts(parts: readonly unknown[], measure: Measure, shape: PromptShape, tally: Tally): number {
  let images = 0;
  let texts = 0;
  for (const part of parts) {
    const type = isObject(part) ? part.type : undefined;
    if (type === 'text' && isObject(part) && typeof part.text === 'string') {
      texts++;
      tally.add(measure(part.text));
    } else if (type === 'refusal' && isObject(part) && typeof part.refusal === 'string') {
      texts++;
      tally.add(measure(part.refusal));
    } else if (type === 'image_url') {
      images++;
      tally.tokens += shape.imageTokens;
      tally.flags |= EstimateFlag.IMAGE;
    } else {
      tally.tokens += jsonBytes(part);
      tally.flags |= EstimateFlag.OTHER_PARTS;
    }
  }
  // How the API joins several text parts is not documented; counted apart they may differ by a token or so.
  if (texts > 1) tally.flags |= EstimateFlag.TEXT_PARTS;
  return images;
}

/**
 * Tool definitions (and the legacy `functions`), an approximation: OpenAI renders them into
 * the prompt in a format it does not publish. This follows the empirical rule of the same
 * cookbook (section 7), which matched the API on its example (101 tokens for gpt-4o, 105 for
 * gpt-4; reproduced in the tests): per function 7 tokens (o200k_base; 10 for cl100k_base)
 * plus "name:description" (final period dropped); if it has properties, 3 more, and per
 * property 3 plus "key:type:description", with an enum -3 plus, per item, 3 and the item;
 * 12 to close the block. Properties that are not flat scalars (objects, arrays, unions) are
 * counted as "key:" plus their JSON schema, and top-level schema keywords other than type,
 * properties, required and additionalProperties by their JSON: the cookbook's rule says
 * nothing about them and JSON is the more verbose of the two renderings. Tools that are not
 * functions are counted by their JSON. A `json_schema` response format is counted by its JSON.
 */
export function measureRequestExtras(request: Record<string, unknown>, measure: Measure, shape: PromptShape): Measured {
  const tally = new Tally();
  let definitions = 0;
  for (const list of [request.tools, request.functions]) {
    if (!Array.isArray(list)) continue;
    for (const tool of list) {
      definitions++;
      if (!isObject(tool)) tally.add(measure(JSON.stringify(tool) ?? ''));
      else if (tool.type === 'function' && isObject(tool.function)) measureFunction(tool.function, measure, shape, tally);
      else if (list === request.functions) measureFunction(tool, measure, shape, tally);
      else tally.add(measure(JSON.stringify(tool)));
    }
  }
  if (definitions > 0) {
    tally.tokens += TOOL_DEFINITIONS_END;
    tally.flags |= EstimateFlag.TOOL_DEFINITIONS;
  }
  const format = request.response_format;
  if (isObject(format) && format.type === 'json_schema') {
    tally.add(measure(JSON.stringify(format.json_schema ?? null)));
    tally.flags |= EstimateFlag.RESPONSE_FORMAT;
  }
  return { tokens: tally.tokens, flags: tally.flags };
}

function measureFunction(fn: Record<string, unknown>, measure: Measure, shape: PromptShape, tally: Tally): void {
  tally.tokens += shape.perFunction;
  tally.add(measure(`${text(fn.name)}:${withoutFinalPeriod(text(fn.description))}`));
  const parameters = fn.parameters;
  if (!isObject(parameters)) return;
  const properties = isObject(parameters.properties) ? parameters.properties : {};
  const keys = Object.keys(properties);
  if (keys.length > 0) {
    tally.tokens += 3;
    for (const key of keys) {
      tally.tokens += 3;
      measureProperty(key, properties[key], measure, tally);
    }
  }
  const { type: _type, properties: _properties, required: _required, additionalProperties: _additional, ...rest } = parameters;
  if (Object.keys(rest).length > 0) tally.add(measure(JSON.stringify(rest)));
}

function isFlatProperty(schema: unknown): schema is Record<string, unknown> & { type: string } {
  if (!isObject(schema) || typeof schema.type !== 'string' || !FLAT_TYPES.has(schema.type)) return false;
  if (!Object.keys(schema).every((k) => FLAT_KEYS.has(k))) return false;
  if (schema.description !== undefined && typeof schema.description !== 'string') return false;
  return schema.enum === undefined || (Array.isArray(schema.enum) && schema.enum.every((v) => v === null || typeof v !== 'object'));
}

function measureProperty(key: string, schema: unknown, measure: Measure, tally: Tally): void {
  if (!isFlatProperty(schema)) {
    tally.add(measure(`${key}:`));
    tally.add(measure(JSON.stringify(schema) ?? ''));
    return;
  }
  tally.add(measure(`${key}:${schema.type}:${withoutFinalPeriod(text(schema.description))}`));
  if (Array.isArray(schema.enum)) {
    tally.tokens -= 3;
    for (const item of schema.enum) {
      tally.tokens += 3;
      tally.add(measure(String(item)));
    }
  }
}

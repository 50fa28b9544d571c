/**
 * Why a count is not exact. A count carries these as bits (cached per message) and turns
 * them into the `bound` text of its result.
 */
export const EstimateFlag = {
  LONG_PIECE: 1,
  OVER_EXACT_LIMIT: 2,
  IMAGE: 4,
  TEXT_PARTS: 8,
  OTHER_PARTS: 16,
  TOOL_CALLS: 32,
  OTHER_FIELDS: 64,
  TOOL_DEFINITIONS: 128,
  RESPONSE_FORMAT: 256,
  UNICODE_WHITESPACE: 512,
} as const;

export interface DescribeContext {
  images: number;
  imageTokens: number;
  maxExactBytes: number;
}

const DESCRIPTIONS: ReadonlyArray<readonly [number, (c: DescribeContext) => string]> = [
  [EstimateFlag.LONG_PIECE, () => 'text with an unbroken run too long to tokenize quickly counted by its UTF-8 length'],
  [EstimateFlag.OVER_EXACT_LIMIT, (c) => `new text beyond ${c.maxExactBytes} bytes per count counted by its UTF-8 length`],
  [EstimateFlag.IMAGE, (c) => `${c.images} image part(s) at ${c.imageTokens} tokens each (configured)`],
  [EstimateFlag.TEXT_PARTS, () => 'messages with several text parts counted part by part'],
  [EstimateFlag.OTHER_PARTS, () => 'audio, file and other non-text parts counted by their JSON size'],
  [EstimateFlag.TOOL_CALLS, () => 'tool calls and tool results in the history estimated'],
  [EstimateFlag.OTHER_FIELDS, () => 'unrecognized message fields counted by their JSON size'],
  [EstimateFlag.TOOL_DEFINITIONS, () => 'tool definitions estimated (OpenAI does not publish how it renders them)'],
  [EstimateFlag.RESPONSE_FORMAT, () => 'response_format schema estimated from its JSON'],
  [EstimateFlag.UNICODE_WHITESPACE, () => 'texts with U+FEFF or U+0085 estimated (JavaScript and OpenAI split them differently)'],
];

export function describeFlags(flags: number, context: DescribeContext): string[] {
  return DESCRIPTIONS.filter(([bit]) => (flags & bit) !== 0).map(([, describe]) => describe(context));
}

/**
 * Which OpenAI encoding a model's prompts are tokenized with. Only names of OpenAI's own
 * model families are recognized; anything else (other vendors, local models, OpenAI's
 * open-weight gpt-oss, which uses another chat format) has no exact count here.
 */
export type EncodingName = 'o200k_base' | 'cl100k_base';

export const ENCODINGS: readonly EncodingName[] = ['o200k_base', 'cl100k_base'];

// Checked in this order: the gpt-4o and gpt-4.x names also start with "gpt-4".
const FAMILIES: ReadonlyArray<readonly [RegExp, EncodingName]> = [
  [/^(?:chat)?gpt-4o(?:-|$)/, 'o200k_base'],
  [/^gpt-4\.[15](?:-|$)/, 'o200k_base'],
  [/^gpt-5(?:[.-]|$)/, 'o200k_base'],
  [/^o[134](?:-|$)/, 'o200k_base'],
  [/^gpt-4(?:-|$)/, 'cl100k_base'],
  [/^gpt-3\.5-turbo(?:-|$)/, 'cl100k_base'],
  [/^gpt-35-turbo(?:-|$)/, 'cl100k_base'], // Azure's spelling
  [/^text-embedding-3-(?:small|large)$/, 'cl100k_base'],
  [/^text-embedding-ada-002$/, 'cl100k_base'],
];

/**
 * The encoding of an OpenAI model name, or undefined when the model is not a known OpenAI
 * family. Accepts the `openai/` prefix of routers and the `ft:` prefix of fine-tunes, which
 * keep their base model's encoding. Callers must only pass names that really reach OpenAI's
 * models: a local server may call any model "gpt-4o" (providers override with `encoding`).
 */
export function encodingForModel(model: string): EncodingName | undefined {
  const name = model.trim().toLowerCase().replace(/^openai\//, '').replace(/^ft:/, '');
  for (const [pattern, encoding] of FAMILIES) if (pattern.test(name)) return encoding;
  return undefined;
}

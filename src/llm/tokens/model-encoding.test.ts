import { describe, expect, it } from 'vitest';
import { encodingForModel } from './model-encoding.js';

describe('encodingForModel', () => {
  it('maps the gpt-4o, gpt-4.1, gpt-4.5, gpt-5 and o-series families to o200k_base', () => {
    for (const model of ['gpt-4o', 'gpt-4o-mini', 'gpt-4o-2024-08-06', 'chatgpt-4o-latest', 'gpt-4.1', 'gpt-4.1-nano-2025-04-14', 'gpt-4.5-preview',
      'gpt-5', 'gpt-5-mini', 'gpt-5.1', 'gpt-5.2-codex', 'o1', 'o1-mini', 'o3-mini', 'o3-pro', 'o4-mini-2025-04-16']) {
      expect(encodingForModel(model), model).toBe('o200k_base');
    }
  });

  it('maps gpt-4, gpt-3.5-turbo and the embedding models to cl100k_base', () => {
    for (const model of ['gpt-4', 'gpt-4-0613', 'gpt-4-32k', 'gpt-4-turbo', 'gpt-4-turbo-2024-04-09', 'gpt-3.5-turbo', 'gpt-3.5-turbo-0125',
      'gpt-35-turbo', 'text-embedding-3-small', 'text-embedding-3-large', 'text-embedding-ada-002']) {
      expect(encodingForModel(model), model).toBe('cl100k_base');
    }
  });

  it('accepts case, surrounding spaces, the openai/ router prefix and fine-tune names', () => {
    expect(encodingForModel(' GPT-4o ')).toBe('o200k_base');
    expect(encodingForModel('openai/gpt-4.1-mini')).toBe('o200k_base');
    expect(encodingForModel('ft:gpt-4o-mini-2024-07-18:acme::abc123')).toBe('o200k_base');
  });

  it('knows nothing of other vendors, gpt-oss or names that only look similar', () => {
    for (const model of ['claude-sonnet-4', 'gemini-2.5-pro', 'llama-3.1-70b', 'mistral-large', 'gpt-oss-120b', 'gpt-4x', 'gpt-40', 'o2', 'o10-mini', 'text-embedding-3-huge', 'gpt-5x', '']) {
      expect(encodingForModel(model), model).toBeUndefined();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { isCacheable } from './is-cacheable.js';

const messages = [{ role: 'user', content: 'hi' }];

describe('isCacheable', () => {
  it('caches chat whatever the sampling: no temperature, temperature above 0, n > 1, store', () => {
    expect(isCacheable('chat', { model: 'm', messages })).toBe(true);
    expect(isCacheable('chat', { model: 'm', messages, temperature: 1.5, n: 3 })).toBe(true);
    expect(isCacheable('chat', { model: 'm', messages, store: true, stream: true })).toBe(true);
    expect(isCacheable('chat', { model: 'm', messages, tools: [{ type: 'function', function: { name: 'f' } }] })).toBe(true);
  });

  it('does not cache chat with web search (live results)', () => {
    expect(isCacheable('chat', { model: 'm', messages, web_search_options: {} })).toBe(false);
    expect(isCacheable('chat', { model: 'm', messages, web_search_options: null })).toBe(true);
  });

  it('caches embeddings', () => {
    expect(isCacheable('embeddings', { model: 'm', input: 'x' })).toBe(true);
  });

  it('caches a self-contained Responses request, stored or not', () => {
    expect(isCacheable('responses', { model: 'm', input: 'hi' })).toBe(true);
    expect(isCacheable('responses', { model: 'm', input: 'hi', store: true, background: false, previous_response_id: null })).toBe(true);
  });

  it('does not cache Responses requests whose history or result the provider holds', () => {
    expect(isCacheable('responses', { model: 'm', input: 'hi', previous_response_id: 'resp_1' })).toBe(false);
    expect(isCacheable('responses', { model: 'm', input: 'hi', conversation: 'conv_1' })).toBe(false);
    expect(isCacheable('responses', { model: 'm', input: 'hi', conversation: { id: 'conv_1' } })).toBe(false);
    expect(isCacheable('responses', { model: 'm', input: 'hi', background: true })).toBe(false);
    expect(isCacheable('responses', { model: 'm', input: [{ type: 'item_reference', id: 'msg_1' }, { role: 'user', content: 'hi' }] })).toBe(false);
  });

  it('caches a stored prompt template only at a pinned version', () => {
    expect(isCacheable('responses', { model: 'm', prompt: { id: 'pmpt_1' } })).toBe(false);
    expect(isCacheable('responses', { model: 'm', prompt: { id: 'pmpt_1', version: '3' } })).toBe(true);
  });

  it('caches Responses with tools the client runs', () => {
    const tools = [
      { type: 'function', name: 'f', parameters: {} },
      { type: 'custom', name: 'c' },
      { type: 'namespace', name: 'ns', description: '', tools: [{ type: 'function', name: 'g' }] },
      { type: 'apply_patch' },
      { type: 'local_shell' },
      { type: 'shell' },
      { type: 'shell', environment: { type: 'local' } },
      { type: 'computer_use_preview', display_width: 1, display_height: 1, environment: 'linux' },
    ];
    expect(isCacheable('responses', { model: 'm', input: 'hi', tools })).toBe(true);
  });

  it('does not cache Responses with a tool the provider runs, nor one of an unknown type', () => {
    const hosted = [
      { type: 'web_search' },
      { type: 'web_search_preview' },
      { type: 'file_search', vector_store_ids: ['vs_1'] },
      { type: 'mcp', server_label: 's', server_url: 'https://example.com/mcp' },
      { type: 'code_interpreter', container: { type: 'auto' } },
      { type: 'image_generation' },
      { type: 'tool_search' },
      { type: 'shell', environment: { type: 'container_auto' } },
      { type: 'some_future_hosted_tool' },
      { name: 'no type' },
    ];
    for (const tool of hosted) {
      expect(isCacheable('responses', { model: 'm', input: 'hi', tools: [{ type: 'function', name: 'f' }, tool] }), JSON.stringify(tool)).toBe(false);
    }
  });
});

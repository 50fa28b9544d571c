// The prompts and resources of the conformance upstream (see reference-server.mjs).
import { z } from 'zod';
import { ResourceTemplate, completable } from '@modelcontextprotocol/server';
import { SAMPLE_PNG_BASE64 } from './sample-media.mjs';

const text = (t) => ({ type: 'text', text: t });

export function registerPrompts(server) {
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, async () => ({
    messages: [{ role: 'user', content: text('This is a simple prompt for testing.') }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two required arguments',
      argsSchema: z.object({
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['paris', 'park', 'party', 'test-value', 'testing'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string().describe('Second test argument'),
      }),
    },
    async ({ arg1, arg2 }) => ({
      messages: [{ role: 'user', content: text(`Prompt with arguments: arg1='${arg1}', arg2='${arg2}'`) }],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    { description: 'A prompt embedding a resource', argsSchema: z.object({ resourceUri: z.string().describe('URI of the resource to embed') }) },
    async ({ resourceUri }) => ({
      messages: [
        { role: 'user', content: { type: 'resource', resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' } } },
        { role: 'user', content: text('Please process the embedded resource above.') },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, async () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: text('Please analyze the image above.') },
    ],
  }));
}

/** The fixed resources the read and subscribe scenarios use: [name, uri, mimeType, description, contents]. */
const STATIC_RESOURCES = [
  ['static-text', 'test://static-text', 'text/plain', 'A static text resource', { text: 'This is the content of the static text resource.' }],
  ['static-binary', 'test://static-binary', 'image/png', 'A static PNG resource', { blob: SAMPLE_PNG_BASE64 }],
  ['watched-resource', 'test://watched-resource', 'text/plain', 'A resource clients may subscribe to', { text: 'Watched resource content.' }],
];

export function registerResources(server) {
  for (const [name, uri, mimeType, description, body] of STATIC_RESOURCES) {
    server.registerResource(name, uri, { description, mimeType }, async (u) => ({ contents: [{ uri: u.href, mimeType, ...body }] }));
  }
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'JSON data for any id', mimeType: 'application/json' },
    async (uri, { id }) => ({
      contents: [{ uri: uri.href, mimeType: 'application/json', text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }) }],
    }),
  );
}

/**
 * resources/subscribe exists only in the 2025 era (2026-07-28 replaced it with
 * subscriptions/listen, which the SDK's HTTP entry serves itself).
 */
export function registerLegacySubscriptions(server) {
  const subscribed = new Set();
  server.server.registerCapabilities({ resources: { subscribe: true } });
  server.server.setRequestHandler('resources/subscribe', async (request) => {
    subscribed.add(request.params.uri);
    return {};
  });
  server.server.setRequestHandler('resources/unsubscribe', async (request) => {
    subscribed.delete(request.params.uri);
    return {};
  });
}

// The MCP server the official conformance suite (@modelcontextprotocol/conformance 0.1.16)
// expects behind `conformance server --url`: every test_* tool, prompt and resource its
// server scenarios call, with the content each scenario checks. One factory serves both
// protocol eras; see http-entry.mjs for how requests reach it.
import { z } from 'zod';
import { McpServer, fromJsonSchema, inputRequired, inputResponse } from '@modelcontextprotocol/server';
import { registerLegacySubscriptions, registerPrompts, registerResources } from './reference-prompts-resources.mjs';
import { SAMPLE_PNG_BASE64, sampleWavBase64 } from './sample-media.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t) => ({ type: 'text', text: t });

/** Elicitation schema of the SEP-1034 scenario: a default value for every primitive type. */
const DEFAULTS_SCHEMA = {
  type: 'object',
  properties: {
    name: { type: 'string', description: 'Your name', default: 'John Doe' },
    age: { type: 'integer', description: 'Your age', default: 30 },
    score: { type: 'number', description: 'Your score', default: 95.5 },
    status: { type: 'string', description: 'Account status', enum: ['active', 'inactive', 'pending'], default: 'active' },
    verified: { type: 'boolean', description: 'Verified account', default: true },
  },
};

/** Elicitation schema of the SEP-1330 scenario: the five enum shapes, titled and untitled. */
const ENUMS_SCHEMA = {
  type: 'object',
  properties: {
    untitledSingle: { type: 'string', description: 'Untitled single choice', enum: ['option1', 'option2', 'option3'] },
    titledSingle: {
      type: 'string',
      description: 'Titled single choice',
      oneOf: [
        { const: 'value1', title: 'First Option' },
        { const: 'value2', title: 'Second Option' },
        { const: 'value3', title: 'Third Option' },
      ],
    },
    legacyEnum: {
      type: 'string',
      description: 'Titled single choice, deprecated enumNames form',
      enum: ['opt1', 'opt2', 'opt3'],
      enumNames: ['Option One', 'Option Two', 'Option Three'],
    },
    untitledMulti: {
      type: 'array',
      description: 'Untitled multiple choice',
      items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
    },
    titledMulti: {
      type: 'array',
      description: 'Titled multiple choice',
      items: {
        anyOf: [
          { const: 'value1', title: 'First Choice' },
          { const: 'value2', title: 'Second Choice' },
          { const: 'value3', title: 'Third Choice' },
        ],
      },
    },
  },
};

/** The SEP-1613 tool's input schema; the scenario checks `$schema`, `$defs` and `additionalProperties` survive listing. */
const JSON_SCHEMA_2020_12 = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  $defs: {
    address: { type: 'object', properties: { street: { type: 'string' }, city: { type: 'string' } } },
  },
  properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
  additionalProperties: false,
};

/**
 * Asks the client for input and resumes with its answer. Written as a multi-round-trip
 * handler so the same code serves 2026-07-28 (the client fulfils `input_required`) and
 * 2025-11-25 sessions (the SDK's legacy shim sends a real server-to-client request).
 */
function askElicitation(ctx, message, requestedSchema) {
  const answer = inputResponse(ctx.mcpReq.inputResponses, 'form');
  if (answer.kind === 'elicit') return { done: true, answer };
  return { done: false, result: inputRequired({ inputRequests: { form: inputRequired.elicit({ message, requestedSchema }) } }) };
}

function registerContentTools(server) {
  server.registerTool('test_simple_text', { description: 'Returns one text block' }, async () => ({
    content: [text('This is a simple text response for testing.')],
  }));
  server.registerTool('test_image_content', { description: 'Returns one PNG image block' }, async () => ({
    content: [{ type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns one WAV audio block' }, async () => ({
    content: [{ type: 'audio', data: sampleWavBase64(), mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Returns one embedded text resource' }, async () => ({
    content: [
      { type: 'resource', resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: 'This is an embedded resource content.' } },
    ],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, image and resource blocks' }, async () => ({
    content: [
      text('Multiple content types test:'),
      { type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json', text: JSON.stringify({ test: 'data', value: 123 }) },
      },
    ],
  }));
  server.registerTool('test_error_handling', { description: 'Always fails with isError' }, async () => ({
    isError: true,
    content: [text('This tool intentionally returns an error for testing')],
  }));
  server.registerTool(
    'json_schema_2020_12_tool',
    { description: 'Tool with JSON Schema 2020-12 features', inputSchema: fromJsonSchema(JSON_SCHEMA_2020_12) },
    async (args) => ({ content: [text(`Received: ${JSON.stringify(args)}`)] }),
  );
}

function registerStreamingTools(server) {
  server.registerTool('test_tool_with_logging', { description: 'Sends three info log messages while it runs' }, async (ctx) => {
    await ctx.mcpReq.log('info', 'Tool execution started');
    await sleep(50);
    await ctx.mcpReq.log('info', 'Tool processing data');
    await sleep(50);
    await ctx.mcpReq.log('info', 'Tool execution completed');
    return { content: [text('Tool with logging executed successfully')] };
  });
  server.registerTool('test_tool_with_progress', { description: 'Reports progress 0, 50 and 100 of 100' }, async (ctx) => {
    const token = ctx.mcpReq._meta?.progressToken;
    for (const [i, progress] of [0, 50, 100].entries()) {
      if (i > 0) await sleep(50);
      if (token !== undefined) {
        await ctx.mcpReq.notify({ method: 'notifications/progress', params: { progressToken: token, progress, total: 100 } });
      }
    }
    return { content: [text(token === undefined ? 'Progress tool completed (no progress token)' : 'Progress tool completed')] };
  });
  // SEP-1699: on a 2025-11-25 session the POST stream is closed mid-call, so the client must
  // reconnect with Last-Event-ID to get the result (replayed from the session's event store).
  server.registerTool('test_reconnection', { description: 'Closes its SSE stream mid-call, then answers' }, async (ctx) => {
    await sleep(50);
    ctx.http?.closeSSE?.();
    await sleep(100);
    return { content: [text('Reconnection test completed')] };
  });
}

function registerClientRequestTools(server) {
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample an LLM', inputSchema: z.object({ prompt: z.string().describe('The prompt to send') }) },
    async ({ prompt }, ctx) => {
      const answer = inputResponse(ctx.mcpReq.inputResponses, 'sample');
      if (answer.kind !== 'sampling') {
        return inputRequired({
          inputRequests: {
            sample: inputRequired.createMessage({ messages: [{ role: 'user', content: text(prompt) }], maxTokens: 100 }),
          },
        });
      }
      const blocks = [answer.result.content].flat();
      const reply = blocks.map((b) => (b.type === 'text' ? b.text : `[${b.type}]`)).join('\n');
      return { content: [text(`LLM response: ${reply}`)] };
    },
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the user for a username and email', inputSchema: z.object({ message: z.string().describe('Shown to the user') }) },
    async ({ message }, ctx) => {
      const step = askElicitation(ctx, message, {
        type: 'object',
        properties: {
          username: { type: 'string', description: "User's response" },
          email: { type: 'string', description: "User's email address" },
        },
        required: ['username', 'email'],
      });
      if (!step.done) return step.result;
      return { content: [text(`User response: action=${step.answer.action}, content=${JSON.stringify(step.answer.content ?? {})}`)] };
    },
  );
  for (const [name, schema, description] of [
    ['test_elicitation_sep1034_defaults', DEFAULTS_SCHEMA, 'Elicits a form whose fields all have defaults'],
    ['test_elicitation_sep1330_enums', ENUMS_SCHEMA, 'Elicits a form with every enum shape'],
  ]) {
    server.registerTool(name, { description }, async (ctx) => {
      const step = askElicitation(ctx, 'Please review and update the form fields', schema);
      if (!step.done) return step.result;
      return { content: [text(`Elicitation completed: action=${step.answer.action}, content=${JSON.stringify(step.answer.content ?? {})}`)] };
    });
  }
}

/**
 * Builds one server instance: per 2025-11-25 session, or per 2026-07-28 request.
 * @param {{ era: 'legacy' | 'modern' }} ctx
 */
export function createReferenceServer(ctx) {
  const server = new McpServer(
    { name: 'warden-conformance-upstream', version: '1.0.0' },
    { capabilities: { logging: {}, completions: {} } },
  );
  registerContentTools(server);
  registerStreamingTools(server);
  registerClientRequestTools(server);
  registerPrompts(server);
  registerResources(server);
  if (ctx.era === 'legacy') registerLegacySubscriptions(server);
  return server;
}

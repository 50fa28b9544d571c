import { describe, expect, it } from 'vitest';
import { makeContext } from '../../test/helpers/context.js';
import type { Channel } from '../audit/record.js';
import { callKind } from './call-kind.js';

const kind = (channel: Channel, action: string) => callKind(makeContext({ channel, action }));

describe('callKind', () => {
  it('counts the LLM endpoints that do work as LLM calls, and model listings as nothing', () => {
    for (const action of ['chat.completions', 'responses', 'embeddings']) expect(kind('llm', action), action).toBe('llm');
    for (const action of ['models.list', 'models.retrieve']) expect(kind('llm', action), action).toBeNull();
  });

  it('counts the MCP methods that reach an upstream as tool calls', () => {
    for (const action of ['tools/call', 'resources/read', 'prompts/get', 'completion/complete']) expect(kind('mcp', action), action).toBe('tool');
  });

  it('counts MCP housekeeping as nothing: initialize, listings, pings, notifications', () => {
    const housekeeping = ['initialize', 'tools/list', 'resources/list', 'resources/templates/list', 'prompts/list', 'ping', 'notifications/initialized', 'notifications/cancelled', 'logging/setLevel'];
    for (const action of housekeeping) expect(kind('mcp', action), action).toBeNull();
  });

  it('counts A2A messages, and not task queries', () => {
    expect(kind('a2a', 'message/send')).toBe('a2a');
    expect(kind('a2a', 'message/stream')).toBe('a2a');
    expect(kind('a2a', 'tasks/get')).toBeNull();
    expect(kind('a2a', 'tasks/cancel')).toBeNull();
  });

  it('counts nothing on the gateway, admin, auth and system channels, even under a call-like action name', () => {
    for (const channel of ['gateway', 'admin', 'auth', 'system'] as const) {
      expect(kind(channel, 'tools/call'), channel).toBeNull();
      expect(kind(channel, 'chat.completions'), channel).toBeNull();
    }
    expect(kind('gateway', 'whoami')).toBeNull();
    expect(kind('admin', 'keys.create')).toBeNull();
  });

  it('does not take an action of one channel for a call on another', () => {
    expect(kind('llm', 'tools/call')).toBeNull();
    expect(kind('mcp', 'chat.completions')).toBeNull();
    expect(kind('mcp', 'message/send')).toBeNull();
  });

  // BUG: MCP_CALLS is a plain object literal, so a client's JSON-RPC method named after an
  // Object.prototype member looks up an inherited property: callKind returns the Object
  // constructor (or Object.prototype for "__proto__"), a truthy value that is not a CallKind,
  // and the request is limited and would be charged as if it were a call. Fix in call-kind.ts:
  // `return Object.hasOwn(MCP_CALLS, ctx.action) ? MCP_CALLS[ctx.action]! : null;` (or build
  // MCP_CALLS with `__proto__: null`, or as a Map).
  it('counts an MCP method named after an Object.prototype member as nothing', () => {
    for (const action of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) expect(kind('mcp', action), action).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { makeContext } from '../../test/helpers/context.js';
import { AgentSpecSchema, type Agent } from '../catalog/index.js';
import { LlmConfigSchema } from '../config/llm-schema.js';
import { ModelDirectory } from '../llm/model-directory.js';
import type { Decision } from '../pipeline/policy.js';
import { authorizeModel } from './authorize-model.js';
import { createAuthorizeTargetPolicy } from './authorize-target.js';

const DIR = new ModelDirectory(
  LlmConfigSchema.parse({
    providers: [
      {
        id: 'openai',
        baseUrl: 'https://api.openai.com/v1',
        models: [{ name: 'gpt-4o' }, { name: 'gpt-4o-mini' }, { name: 'o3' }, { name: 'text-embedding-3-small', kind: 'embeddings' }],
      },
    ],
    aliases: { smart: { targets: [{ model: 'o3' }, { model: 'gpt-4o' }] } },
  }),
);

function agent(models?: Record<string, unknown>): Agent {
  const spec = AgentSpecSchema.parse(minimalAgent('bot', models ? { models } : {}));
  return { ...spec, file: '/catalog/bot.yaml', secrets: new Map() } as unknown as Agent;
}

const READER = agent({ allow: ['gpt-4o*', 'smart', 'text-embedding-*'], deny: ['gpt-4o-mini'] });

function decide(action: string, target: string | null, who: Agent = READER): Decision {
  return authorizeModel(makeContext({ channel: 'llm', action, target }), who, DIR);
}

const outcome = (d: Decision) => (d.kind === 'allow' ? 'allow' : d.error.code);

describe('authorizeModel', () => {
  it('allows a permitted model or alias on its endpoints', () => {
    const asked: Array<[string, string]> = [
      ['chat.completions', 'gpt-4o'],
      ['responses', 'gpt-4o'],
      ['chat.completions', 'smart'],
      ['embeddings', 'text-embedding-3-small'],
    ];
    for (const [action, model] of asked) expect(outcome(decide(action, model)), `${action} ${model}`).toBe('allow');
  });

  it('refuses a model the agent may not use exactly like one that does not exist', () => {
    const hidden = decide('chat.completions', 'gpt-4o-mini');
    const unknown = decide('chat.completions', 'gpt-9-ultra');
    if (hidden.kind !== 'deny' || unknown.kind !== 'deny') throw new Error('expected two refusals');
    const shown = (d: typeof hidden, name: string) => ({
      code: d.error.code,
      status: d.error.httpStatus,
      message: d.error.message.replace(name, 'NAME'),
      details: d.error.details,
      reason: d.reason,
    });
    expect(shown(hidden, 'gpt-4o-mini')).toEqual(shown(unknown, 'gpt-9-ultra'));
    expect(hidden.error).toMatchObject({ code: 'MODEL_NOT_FOUND', message: 'Unknown model: "gpt-4o-mini"', details: { param: 'model' } });
  });

  it('lets deny globs win over allow', () => {
    const everythingButMini = agent({ allow: ['*'], deny: ['*-mini', 'o?'] });
    expect(outcome(decide('chat.completions', 'gpt-4o', everythingButMini))).toBe('allow');
    expect(outcome(decide('chat.completions', 'gpt-4o-mini', everythingButMini))).toBe('MODEL_NOT_FOUND');
    expect(outcome(decide('chat.completions', 'o3', everythingButMini))).toBe('MODEL_NOT_FOUND');
  });

  it('permits an alias by its own name, not by the names of its targets', () => {
    const aliasOnly = agent({ allow: ['smart'] });
    expect(outcome(decide('chat.completions', 'smart', aliasOnly))).toBe('allow');
    expect(outcome(decide('chat.completions', 'o3', aliasOnly))).toBe('MODEL_NOT_FOUND');
    const targetsOnly = agent({ allow: ['o3', 'gpt-4o'] });
    expect(outcome(decide('chat.completions', 'smart', targetsOnly))).toBe('MODEL_NOT_FOUND');
  });

  it('refuses an alias that would lead to a model the agent denies', () => {
    const noO3 = agent({ allow: ['*'], deny: ['o3'] });
    expect(outcome(decide('chat.completions', 'smart', noO3))).toBe('MODEL_NOT_FOUND');
    expect(outcome(decide('chat.completions', 'gpt-4o', noO3))).toBe('allow');
  });

  it('matches names exactly: case, spaces, suffixes and prefixes name other (unknown) models', () => {
    const all = agent({ allow: ['*'] });
    for (const name of ['GPT-4o', 'gpt-4o ', 'gpt-4o-2024-08-06', 'openai/gpt-4o', 'smart:latest']) {
      expect(outcome(decide('chat.completions', name, all)), name).toBe('MODEL_NOT_FOUND');
    }
  });

  it('refuses every model to an agent without a models section, and when no LLM proxy is configured', () => {
    expect(outcome(decide('chat.completions', 'gpt-4o', agent()))).toBe('MODEL_NOT_FOUND');
    expect(outcome(authorizeModel(makeContext({ channel: 'llm', action: 'chat.completions', target: 'gpt-4o' }), READER, undefined))).toBe('MODEL_NOT_FOUND');
    expect(outcome(decide('chat.completions', null))).toBe('MODEL_NOT_FOUND');
  });

  it('allows listing models to any agent (the list itself is filtered elsewhere)', () => {
    expect(outcome(decide('models.list', null, agent()))).toBe('allow');
    expect(outcome(authorizeModel(makeContext({ channel: 'llm', action: 'models.list', target: null }), READER, undefined))).toBe('allow');
  });

  it('retrieves any permitted model whatever its kind, and hides the others', () => {
    const retrieved = ['text-embedding-3-small', 'gpt-4o', 'smart', 'gpt-4o-mini', 'nope'].map((m) => outcome(decide('models.retrieve', m)));
    expect(retrieved).toEqual(['allow', 'allow', 'allow', 'MODEL_NOT_FOUND', 'MODEL_NOT_FOUND']);
  });

  it('refuses a model of the wrong kind for the endpoint, pointing at the right one', () => {
    const onChat = decide('chat.completions', 'text-embedding-3-small');
    const onResponses = decide('responses', 'text-embedding-3-small');
    const onEmbeddings = decide('embeddings', 'gpt-4o');
    expect(onChat.kind === 'deny' && onChat.error).toMatchObject({
      code: 'INVALID_PARAMS',
      message: 'Model text-embedding-3-small is an embeddings model; use /v1/embeddings',
      details: { param: 'model' },
    });
    expect(onResponses.kind === 'deny' && onResponses.error.code).toBe('INVALID_PARAMS');
    expect(onEmbeddings.kind === 'deny' && onEmbeddings.error).toMatchObject({ code: 'INVALID_PARAMS', message: 'Model gpt-4o is not an embeddings model' });
  });

  it('checks permission before kind, so a wrong-kind refusal never reveals a hidden model', () => {
    const noEmbeddings = agent({ allow: ['gpt-4o'] });
    expect(outcome(decide('chat.completions', 'text-embedding-3-small', noEmbeddings))).toBe('MODEL_NOT_FOUND');
  });

  it('is what authorize-target applies on the llm channel', async () => {
    const policy = createAuthorizeTargetPolicy({ models: () => DIR });
    const principal = { kind: 'agent' as const, agentId: 'bot', keyId: 'k1', agent: READER };
    const run = async (target: string) => outcome(await policy.request!(makeContext({ channel: 'llm', action: 'chat.completions', target, principal })));
    expect(await run('gpt-4o')).toBe('allow');
    expect(await run('gpt-4o-mini')).toBe('MODEL_NOT_FOUND');
  });
});

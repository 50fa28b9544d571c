import { describe, expect, it } from 'vitest';
import { issuesFromZod } from '../config/issues.js';
import { minimalAgent } from '../../test/helpers/catalog-fixtures.js';
import { AgentSpecSchema, type DataExposurePolicy } from './agent-schema.js';

function problems(overrides: Record<string, unknown>): string[] {
  const r = AgentSpecSchema.safeParse(minimalAgent('alpha', overrides));
  return r.success ? [] : issuesFromZod('f', r.error).map((i) => `${i.path}: ${i.message}`);
}

const endpoint = (extra: Record<string, unknown>) => ({ a2a: { endpoint: { url: 'https://a.example.com/a2a', ...extra } } });

describe('agent schema: defaults', () => {
  it('fills defaults for status, tags and declared sections', () => {
    const spec = AgentSpecSchema.parse(
      minimalAgent('alpha', { tools: { allow: ['kb_*'] }, dataExposure: {}, loops: {}, rateLimits: {}, budgets: [{ window: 'day', limits: { calls: 5 } }] }),
    );
    expect(spec.status).toBe('active');
    expect(spec.tags).toEqual([]);
    expect(spec.tools).toEqual({ allow: ['kb_*'], deny: [], riskClasses: { allow: ['read-only', 'write', 'destructive'], deny: [] } });
    expect(spec.dataExposure).toEqual({ clearance: 'internal', pii: { default: 'redact' }, secrets: { default: 'block' } });
    expect(spec.loops).toEqual({ repetition: { threshold: 5, windowSeconds: 60 }, cycleRepetitions: 3, maxHopDepth: 8, action: 'block', coolDownSeconds: 300 });
    expect(spec.rateLimits).toEqual({ perModel: {}, perTool: {} });
    expect(spec.budgets).toEqual([{ scope: 'agent', channel: 'all', window: 'day', kind: 'calendar', limits: { calls: 5 }, softThresholds: [], action: 'deny' }]);
    expect(spec.models).toBeUndefined();
  });

  it('accepts an explicitly suspended agent', () => {
    expect(AgentSpecSchema.parse(minimalAgent('alpha', { status: 'suspended' })).status).toBe('suspended');
  });
});

describe('agent schema: rejected shapes', () => {
  it.each<[string, Record<string, unknown>, string]>([
    ['an unknown status', { status: 'paused' }, 'status: Invalid option'],
    ['a tag that is not a slug', { tags: ['Not A Slug'] }, 'tags[0]: must be a lowercase slug'],
    ['a repeated tag', { tags: ['a', 'a'] }, 'tags[1]: "a" is listed more than once'],
    ['a tools section without allow', { tools: { deny: ['x'] } }, 'tools.allow: required (array missing)'],
    ['a tool glob with illegal characters', { tools: { allow: ['crm.read'] } }, 'tools.allow[0]: must be a tool name or glob'],
    ['a tool both allowed and denied', { tools: { allow: ['a', 'b'], deny: ['b'] } }, 'tools.allow[1]: "b" is in both allow and deny'],
    ['an unknown risk class', { tools: { allow: ['*'], riskClasses: { deny: ['dangerous'] } } }, 'tools.riskClasses.deny[0]: Invalid option'],
    ['a model both allowed and denied', { models: { allow: ['gpt-4o'], deny: ['gpt-4o'] } }, 'models.allow[0]: "gpt-4o" is in both allow and deny'],
    ['a published card without skills', { a2a: { publishCard: true } }, 'a2a.skills: publishCard: true needs at least one skill'],
    [
      'a repeated skill id',
      { a2a: { skills: [{ id: 's', name: 'S', description: 'd' }, { id: 's', name: 'T', description: 'd' }] } },
      'a2a.skills[1].id: skill id "s" is used more than once',
    ],
    ['a non-http endpoint', { a2a: { endpoint: { url: 'ftp://x.example.com' } } }, 'a2a.endpoint.url: must be an http(s) URL'],
    ['an inline credential', endpoint({ credential: 'sk-live-123' }), 'a2a.endpoint.credential: must be a secret reference'],
    ['a credential with both env and file', endpoint({ credential: { env: 'A', file: 'b' } }), 'a2a.endpoint.credential: must be a secret reference'],
    ['a budget without limits', { budgets: [{ window: 'day', limits: {} }] }, 'budgets[0].limits: set at least one of tokens, usd, calls'],
    ['a budget without window', { budgets: [{ limits: { calls: 1 } }] }, 'budgets[0].window: Invalid option'],
    ['a negative budget', { budgets: [{ window: 'day', limits: { usd: -5 } }] }, 'budgets[0].limits.usd: Too small'],
    ['decreasing soft thresholds', { budgets: [{ window: 'day', limits: { calls: 1 }, softThresholds: [80, 50] }] }, 'budgets[0].softThresholds[1]: thresholds must be strictly increasing'],
    ['a soft threshold above 100%', { budgets: [{ window: 'day', limits: { calls: 1 }, softThresholds: [101] }] }, 'budgets[0].softThresholds[0]: Too big'],
    ['clamp on the tools channel', { budgets: [{ channel: 'tools', window: 'day', limits: { tokens: 9 }, action: 'clamp' }] }, 'budgets[0].action: clamp applies to LLM calls'],
    ['clamp with only a calls limit', { budgets: [{ channel: 'llm', window: 'day', limits: { calls: 9 }, action: 'clamp' }] }, 'budgets[0].action: clamp needs a tokens or usd limit'],
    [
      'two budgets for the same window',
      { budgets: [{ window: 'day', limits: { calls: 1 } }, { window: 'day', limits: { usd: 1 } }] },
      'budgets[1]: same scope, channel, window and kind as budgets[0]',
    ],
    ['a fractional rate limit', { rateLimits: { requestsPerMinute: 1.5 } }, 'rateLimits.requestsPerMinute: Invalid input: expected int'],
    ['an empty per-model override', { rateLimits: { perModel: { 'gpt-*': {} } } }, 'rateLimits.perModel.gpt-*: set at least one limit'],
    ['a token limit on a tool', { rateLimits: { perTool: { kb_search: { tokensPerMinute: 5 } } } }, 'rateLimits.perTool.kb_search.tokensPerMinute: unknown key'],
    ['an invalid per-tool glob', { rateLimits: { perTool: { 'kb search': { concurrent: 1 } } } }, 'rateLimits.perTool'],
    ['an unknown clearance', { dataExposure: { clearance: 'secret' } }, 'dataExposure.clearance: Invalid option'],
    ['an unknown PII detector', { dataExposure: { pii: { passport: 'block' } } }, 'dataExposure.pii.passport: unknown key'],
    ['an unknown detector action', { dataExposure: { secrets: { jwt: 'ignore' } } }, 'dataExposure.secrets.jwt: Invalid option'],
    ['a repetition threshold of 1', { loops: { repetition: { threshold: 1 } } }, 'loops.repetition.threshold: Too small'],
    ['a velocity factor of 1', { loops: { velocityFactor: 1 } }, 'loops.velocityFactor: Too small'],
    ['an unknown loop action', { loops: { action: 'kill' } }, 'loops.action: Invalid option'],
  ])('rejects %s', (_what, overrides, expected) => {
    const found = problems(overrides);
    expect(found.some((p) => p.startsWith(expected)), `expected "${expected}" in:\n${found.join('\n')}`).toBe(true);
  });
});

describe('agent schema: inferred types', () => {
  it('types every detector key and nothing else', () => {
    const pii: DataExposurePolicy['pii'] = { default: 'redact', email: 'allow', 'credit-card': 'block' };
    // @ts-expect-error not a detector
    const wrong: DataExposurePolicy['pii'] = { default: 'redact', passport: 'block' };
    expect([pii, wrong]).toHaveLength(2);
  });
});

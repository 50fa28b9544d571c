import { describe, expect, it } from 'vitest';
import { firstMatchingRule, ruleMatches, type RequestShape } from './route-rules.js';

const shape: RequestShape = { promptTokens: 500, hasTools: false, hasImages: false, agentTags: ['faq', 'eu'], stream: true };

describe('ruleMatches', () => {
  it('an empty condition matches every request', () => {
    expect(ruleMatches({}, shape)).toBe(true);
    expect(ruleMatches({}, { ...shape, agentTags: [], hasTools: true })).toBe(true);
  });

  it('prompt token bounds are inclusive', () => {
    expect(ruleMatches({ maxPromptTokens: 500 }, shape)).toBe(true);
    expect(ruleMatches({ maxPromptTokens: 499 }, shape)).toBe(false);
    expect(ruleMatches({ minPromptTokens: 500 }, shape)).toBe(true);
    expect(ruleMatches({ minPromptTokens: 501 }, shape)).toBe(false);
    expect(ruleMatches({ minPromptTokens: 100, maxPromptTokens: 1_000 }, shape)).toBe(true);
  });

  it('tools, images and stream must equal the request when given', () => {
    expect(ruleMatches({ tools: false }, shape)).toBe(true);
    expect(ruleMatches({ tools: true }, shape)).toBe(false);
    expect(ruleMatches({ tools: true }, { ...shape, hasTools: true })).toBe(true);
    expect(ruleMatches({ images: false }, shape)).toBe(true);
    expect(ruleMatches({ images: true }, shape)).toBe(false);
    expect(ruleMatches({ images: true }, { ...shape, hasImages: true })).toBe(true);
    expect(ruleMatches({ stream: true }, shape)).toBe(true);
    expect(ruleMatches({ stream: false }, shape)).toBe(false);
  });

  it('agentTags matches when the agent has any one of them; an empty list matches no agent', () => {
    expect(ruleMatches({ agentTags: ['eu'] }, shape)).toBe(true);
    expect(ruleMatches({ agentTags: ['us', 'faq'] }, shape)).toBe(true);
    expect(ruleMatches({ agentTags: ['us'] }, shape)).toBe(false);
    expect(ruleMatches({ agentTags: ['us'] }, { ...shape, agentTags: [] })).toBe(false);
    expect(ruleMatches({ agentTags: [] }, shape)).toBe(false);
  });

  it('every given condition must hold', () => {
    const when = { maxPromptTokens: 1_000, tools: false, agentTags: ['faq'] };
    expect(ruleMatches(when, shape)).toBe(true);
    expect(ruleMatches(when, { ...shape, promptTokens: 1_001 })).toBe(false);
    expect(ruleMatches(when, { ...shape, hasTools: true })).toBe(false);
    expect(ruleMatches(when, { ...shape, agentTags: ['eu'] })).toBe(false);
  });
});

describe('firstMatchingRule', () => {
  const rules = [
    { name: 'short-faq', when: { maxPromptTokens: 200, agentTags: ['faq'] } },
    { name: 'vision', when: { images: true } },
    { name: 'long', when: { minPromptTokens: 100_000 } },
    { name: 'default', when: {} },
  ];

  it('returns the first rule in config order whose conditions hold', () => {
    expect(firstMatchingRule(rules, { ...shape, promptTokens: 150 })?.name).toBe('short-faq');
    expect(firstMatchingRule(rules, { ...shape, promptTokens: 150, hasImages: true })?.name).toBe('short-faq');
    expect(firstMatchingRule(rules, { ...shape, hasImages: true })?.name).toBe('vision');
    expect(firstMatchingRule(rules, { ...shape, promptTokens: 200_000 })?.name).toBe('long');
    expect(firstMatchingRule(rules, shape)?.name).toBe('default');
  });

  it('returns undefined when no rule matches', () => {
    expect(firstMatchingRule(rules.slice(0, 3), shape)).toBeUndefined();
    expect(firstMatchingRule([], shape)).toBeUndefined();
  });
});

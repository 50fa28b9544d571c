/** What the router knows about a request before choosing its targets. */
export interface RequestShape {
  /** An upper bound is fine (see ruleMatches). */
  promptTokens: number;
  hasTools: boolean;
  hasImages: boolean;
  agentTags: readonly string[];
  stream: boolean;
  /** The output limit the request asks for (null: none); targets whose own limit is lower are passed over. */
  maxOutputTokens?: number | null;
}

/** Conditions of one routing rule; every condition given must hold, an empty one matches all. */
export interface RouteRuleWhen {
  /** Inclusive. */
  maxPromptTokens?: number;
  /** Inclusive. */
  minPromptTokens?: number;
  tools?: boolean;
  images?: boolean;
  /** Matches when the agent carries any of these tags; an empty list matches no agent. */
  agentTags?: readonly string[];
  stream?: boolean;
}

/**
 * Whether a request of this shape satisfies `when`. With an upper bound for promptTokens,
 * a maxPromptTokens rule errs towards not matching (a short prompt may miss the cheap
 * route), never towards sending a long prompt to a model with a small context.
 */
export function ruleMatches(when: RouteRuleWhen, shape: RequestShape): boolean {
  if (when.maxPromptTokens !== undefined && !(shape.promptTokens <= when.maxPromptTokens)) return false;
  if (when.minPromptTokens !== undefined && !(shape.promptTokens >= when.minPromptTokens)) return false;
  if (when.tools !== undefined && when.tools !== shape.hasTools) return false;
  if (when.images !== undefined && when.images !== shape.hasImages) return false;
  if (when.stream !== undefined && when.stream !== shape.stream) return false;
  if (when.agentTags !== undefined && !sharesAny(when.agentTags, shape.agentTags)) return false;
  return true;
}

/** The first rule, in config order, whose conditions the request meets. */
export function firstMatchingRule<R extends { when: RouteRuleWhen }>(rules: readonly R[], shape: RequestShape): R | undefined {
  for (const rule of rules) if (ruleMatches(rule.when, shape)) return rule;
  return undefined;
}

// Both lists are a few tags long: a nested scan beats building a Set per request.
function sharesAny(wanted: readonly string[], held: readonly string[]): boolean {
  for (const tag of wanted) if (held.includes(tag)) return true;
  return false;
}

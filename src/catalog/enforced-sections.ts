import type { PolicySection } from './agent-schema.js';

/**
 * Policy sections this gateway version enforces. Every other declared section loads (so
 * files can be written ahead of the feature) but produces a warning per agent, so nobody
 * believes a limit is active when it is not. Add a section here in the change that ships
 * its enforcement.
 */
export const ENFORCED_SECTIONS: ReadonlySet<PolicySection> = new Set<PolicySection>(['tools', 'models', 'rateLimits', 'budgets', 'loops']);

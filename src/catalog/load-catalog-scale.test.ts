import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { minimalAgent, writeAgentFile } from '../../test/helpers/catalog-fixtures.js';
import { ENFORCED_SECTIONS, loadCatalog } from './index.js';

const COUNT = 1000;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-catalog-1000-'));
  for (let i = 0; i < COUNT; i++) {
    const id = `agent-${String(i).padStart(4, '0')}`;
    await writeAgentFile(
      dir,
      minimalAgent(id, {
        description: `Synthetic agent number ${i}`,
        tags: ['synthetic', `group-${i % 10}`],
        tools: { allow: ['kb_*', 'crm_get_*'], deny: ['crm_delete_*'] },
        models: { allow: ['gpt-4o-mini'], defaultModel: 'gpt-4o-mini' },
        a2a: { canCall: [`agent-${String((i + 1) % COUNT).padStart(4, '0')}`] },
        budgets: [{ window: 'day', limits: { tokens: 100_000, usd: 5 }, softThresholds: [50, 90] }],
        rateLimits: { requestsPerMinute: 60, perModel: { 'gpt-*': { tokensPerMinute: 50_000 } } },
        dataExposure: { clearance: 'internal', pii: { email: 'allow' } },
        loops: { action: 'throttle' },
      }),
    );
  }
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('loadCatalog at scale', () => {
  it(`loads a catalog of ${COUNT} agents with every section declared`, async () => {
    await loadCatalog(dir); // warm-up: module JIT and file cache, so the timing below is steady-state
    const runs: number[] = [];
    let size = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const result = await loadCatalog(dir);
      runs.push(performance.now() - started);
      if (!result.ok) throw new Error(result.issues.slice(0, 5).map((x) => `${x.file} ${x.path} ${x.message}`).join('\n'));
      size = result.catalog.agents.size;
      // One not-enforced warning per agent per declared section, except the enforced ones.
      expect(result.warnings).toHaveLength(COUNT * (7 - ENFORCED_SECTIONS.size));
    }
    expect(size).toBe(COUNT);
    console.log(`loadCatalog: ${COUNT} agents in ${runs.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} (3 runs after a warm-up)`);
  });
});

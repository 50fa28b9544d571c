// What bench/governance.mjs measures against: the policy chain and its dependencies built
// in-process from dist/ the way src/app.ts builds them (config from a warden.yaml, state.db
// with real agent keys, a catalog loaded from generated agent files, rate limiter, budget
// service, loop guard, model directory and prompt estimator), plus a request factory that
// makes LLM chat requests the way the LLM surface hands them to the chain.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { loadAdminToken } from '../dist/admin/admin-token.js';
import { openAuditSink } from '../dist/audit/open-sink.js';
import { BudgetService } from '../dist/budget/budget-service.js';
import { loadCatalog } from '../dist/catalog/index.js';
import { loadConfig } from '../dist/config/load.js';
import { KeyRegistry } from '../dist/keys/key-registry.js';
import { HELD_HISTORY_TOKENS } from '../dist/llm/create-llm.js';
import { PromptEstimator } from '../dist/llm/estimate.js';
import { ModelDirectory } from '../dist/llm/model-directory.js';
import { parseLlmRequest } from '../dist/llm/request-body.js';
import { NO_HOPS } from '../dist/loops/hop-chain.js';
import { LoopGuard } from '../dist/loops/loop-guard.js';
import { PolicyChain } from '../dist/pipeline/chain.js';
import { buildPolicies } from '../dist/policy/index.js';
import { RateLimiter } from '../dist/ratelimit/rate-limiter.js';
import { createStateRefresher } from '../dist/state/state-refresher.js';
import { StateStore } from '../dist/state/state-store.js';
import { SuspensionIndex } from '../dist/state/suspension-index.js';

export const MODEL = 'gpt-4o-mini';
/** USD per 1M tokens, given in the config so the estimate and the usage agree on prices. */
const PRICE = { input: 0.15, output: 0.6 };
/** What the no-op forward step reports: a short answer to a short prompt. */
export const USAGE = { tokensIn: 60, tokensOut: 100, costUsd: (60 * PRICE.input + 100 * PRICE.output) / 1e6 };
export const AUTH_ONLY = ['authenticate', 'authorize', 'authorize-target'];
export const CONTENDER = 'contender';

const CONFIG = `dataDir: ./data
catalogDir: ./agents-catalog
log: { level: warn }
llm:
  providers:
    - id: bench
      baseUrl: http://127.0.0.1:9/v1
      internal: true
      models:
        - { name: ${MODEL}, maxOutputTokens: 4096, price: { input: ${PRICE.input}, output: ${PRICE.output} } }
`;

/**
 * Every policy on, with limits no run of this bench reaches: requests, tokens and in-flight
 * limits agent-wide and per model; token, USD and call budgets in calendar and rolling
 * windows, one shared by the owner's agents; loop detection with every detector.
 * velocityFactor is the schema's maximum: the detector runs on every call all the same.
 */
function governedAgent(i) {
  const id = agentId(i);
  return `schemaVersion: 1
id: ${id}
displayName: Agent ${i}
owner: team-${i % 10}
description: Synthetic agent ${i} with every governance policy on.
models: { allow: ["gpt-4o*"], defaultModel: ${MODEL} }
rateLimits:
  requestsPerMinute: 1000000000
  tokensPerMinute: 1000000000000
  concurrent: 4096
  perModel:
    "gpt-4o*": { requestsPerMinute: 1000000000, tokensPerMinute: 1000000000000, concurrent: 4096 }
budgets:
  - { name: llm-day, channel: llm, window: day, kind: calendar, limits: { tokens: 1000000000000, usd: 1000000000, calls: 1000000000 }, softThresholds: [50, 80, 95] }
  - { name: all-hour, channel: all, window: hour, kind: rolling, limits: { tokens: 1000000000000, usd: 1000000000, calls: 1000000000 }, softThresholds: [90] }
  - { name: team-month, scope: owner, channel: llm, window: month, kind: calendar, limits: { usd: 1000000000 } }
loops:
  repetition: { threshold: 5, windowSeconds: 60 }
  cycleRepetitions: 3
  maxHopDepth: 8
  velocityFactor: 1000
  action: block
  coolDownSeconds: 60
`;
}

/** One agent, one budget and nothing else governed: the admission-under-contention case. */
function budgetedAgent(id, tokenLimit) {
  return `schemaVersion: 1
id: ${id}
displayName: Contender ${id}
owner: team-contention
description: Many requests in flight against one budget.
models: { allow: ["gpt-4o*"], defaultModel: ${MODEL} }
budgets:
  - { name: shared, channel: llm, window: day, kind: calendar, limits: { tokens: ${tokenLimit} } }
`;
}

export const agentId = (i) => `agent-${String(i).padStart(4, '0')}`;

/**
 * Builds the world. `agents`: governed agents (agent-0000...); the contender agent's budget
 * holds `contenderTokens` tokens. `close()` stops the budget service, the audit sink (if
 * opened) and the state store, and deletes the folder.
 */
export async function createWorld({ agents, contenderTokens }) {
  const dir = mkdtempSync(join(os.tmpdir(), 'warden-gov-bench-'));
  mkdirSync(join(dir, 'agents-catalog'));
  writeFileSync(join(dir, 'warden.yaml'), CONFIG);
  for (let i = 0; i < agents; i++) writeFileSync(join(dir, 'agents-catalog', `${agentId(i)}.yaml`), governedAgent(i));
  writeFileSync(join(dir, 'agents-catalog', `${CONTENDER}.yaml`), budgetedAgent(CONTENDER, contenderTokens));

  const config = await loadConfig(join(dir, 'warden.yaml'));
  const log = pino({ level: 'warn' }, pino.destination(2));
  const loaded = await loadCatalog(config.catalogDir);
  if (!loaded.ok) throw new Error(`catalog: ${JSON.stringify(loaded.issues)}`);
  const catalog = loaded.catalog;
  const state = StateStore.open(join(config.dataDir, 'state.db'), { busyTimeoutMs: 0 });
  const keys = new KeyRegistry(state);
  const suspensions = new SuspensionIndex(state);
  const refreshState = createStateRefresher(state, () => {
    keys.reload();
    suspensions.reload();
  });
  const now = Date.now;
  const keyOf = new Map();
  for (const id of [...Array.from({ length: agents }, (_, i) => agentId(i)), CONTENDER]) keyOf.set(id, keys.create(id, { now: now() }).key);

  const alerts = { budget: 0, loopTrips: 0, suspensions: 0 };
  const budgets = new BudgetService({ state, config: config.governance, log, system: () => alerts.budget++, now });
  budgets.start();
  const models = new ModelDirectory(config.llm);
  const estimator = new PromptEstimator({ defaultMaxOutputTokens: config.llm.defaults.maxOutputTokens, heldHistoryTokens: HELD_HISTORY_TOKENS });
  // The gateway preloads the tokenizer once it listens; the first exact count would otherwise pay for it.
  await estimator.counter().preload();
  const loops = new LoopGuard();
  const rateLimiter = new RateLimiter();
  const adminToken = await loadAdminToken(undefined, config.dataDir, config.baseDir);
  const policies = buildPolicies({
    keys,
    suspensions,
    adminToken,
    refreshState,
    now,
    rateLimiter,
    loops,
    onLoopTrip: () => alerts.loopTrips++,
    suspendAgent: async () => void alerts.suspensions++,
    budgets: budgets.ledger,
    toolCost: (tool) => budgets.toolCost(tool),
    models: () => models,
    estimator: () => estimator,
  });

  let realSink = null;
  const world = {
    config,
    catalog,
    ledger: budgets.ledger,
    budgets,
    state,
    alerts,
    keyOf,
    loops,
    /** The gateway's chain over `sink`; `only` keeps just the named policies (in their order). */
    chain(sink, only) {
      return new PolicyChain(only ? policies.filter((p) => only.includes(p.name)) : policies, sink);
    },
    /** Adds an agent with one budget of `tokenLimit` tokens (a catalog reload, as the gateway's watcher does) and gives it a key. */
    async addBudgetedAgent(id, tokenLimit) {
      writeFileSync(join(dir, 'agents-catalog', `${id}.yaml`), budgetedAgent(id, tokenLimit));
      const next = await loadCatalog(config.catalogDir, { version: 2 });
      if (!next.ok) throw new Error(`catalog: ${JSON.stringify(next.issues)}`);
      world.catalog = next.catalog;
      keyOf.set(id, keys.create(id, { now: now() }).key);
      return id;
    },
    /** The audit sink the gateway opens (worker-thread writer, <dataDir>/audit.db, default durability). */
    async realSink() {
      realSink ??= await openAuditSink(config, log);
      return realSink;
    },
    async close() {
      budgets.close();
      if (realSink) await realSink.close();
      state.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return world;
}

/** Appends nothing: what the chain costs without the audit commit. */
export function noopSink() {
  let seq = 0;
  return { append: async () => ++seq, healthy: () => true, problem: () => null, flush: async () => {}, close: async () => {} };
}

/**
 * A long-running agent has a call-rate baseline of its own; a fresh one has the velocity
 * detector's floor (0.1 calls/s), so the bench's first burst would trip it at once. This
 * records `perSecond` calls a second for the 10 s before the short window (calls with distinct
 * arguments, so no other detector sees them), which is what 10 s of such traffic leaves.
 */
export function primeLoopHistories(world, ids, perSecond) {
  const t = Date.now();
  for (const id of ids) {
    const policy = world.catalog.agents.get(id).loops;
    for (let k = 0; k < 10 * perSecond; k++) {
      const at = t - 20_000 + Math.floor((k * 1000) / perSecond);
      world.loops.observe(id, policy, { requestId: `prime-${k}`, target: MODEL, argsDigest: `prime-${id}-${k}`, at }, NO_HOPS);
    }
  }
}

const SYSTEM = 'You are a support assistant. Classify the ticket, answer from the knowledge base, and escalate refunds.';
const NEVER = new AbortController().signal;

/**
 * Makes chat requests whose text is new every time (so loop detection sees distinct calls),
 * with what the HTTP surface computes before the chain runs (the parsed JSON body, its size
 * and SHA-256) already done: `run` times only the chain.
 */
export function requestFactory(world) {
  let seq = 0;
  const maxChoices = world.config.llm.defaults.maxChoices;
  const log = pino({ level: 'warn' }, pino.destination(2));
  return function make(agent) {
    const n = seq++;
    const text = JSON.stringify({
      model: MODEL,
      max_tokens: 256,
      messages: [
        { role: 'system', content: SYSTEM },
        { role: 'user', content: `Ticket ${n} from agent ${agent}: the invoice for order ${(n * 7919) % 100000} was charged twice, please refund one.` },
      ],
    });
    const raw = JSON.parse(text);
    const bytes = Buffer.byteLength(text);
    const digest = createHash('sha256').update(text).digest('hex');
    const key = world.keyOf.get(agent);
    const requestId = `bench-${n}`;
    const traceId = randomBytes(16).toString('hex');
    return {
      ctx: () => ({
        requestId,
        receivedAt: Date.now(),
        startedAt: performance.now(),
        channel: 'llm',
        action: 'chat.completions',
        target: null,
        traceId,
        parentId: null,
        hops: NO_HOPS,
        credential: { scheme: 'bearer', value: key },
        catalog: world.catalog,
        payload: undefined,
        requestBytes: 0,
        requestDigest: null,
        signal: NEVER,
        log,
        principal: null,
        annotations: {},
      }),
      // As the LLM surface does: parse the body once authentication has passed, for the agent's default model.
      loadPayload: async (c) => {
        const a = c.principal?.kind === 'agent' ? c.principal.agent : undefined;
        const parsed = parseLlmRequest('chat', raw, { defaultModel: a?.models?.defaultModel, maxChoices });
        return { payload: parsed, bytes, digest, target: parsed.model };
      },
    };
  };
}

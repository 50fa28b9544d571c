import { z } from 'zod';
import { SecretRefSchema } from './secret-ref.js';
import { refusedLiteralHost } from '../egress/literal-host.js';

/**
 * Upstream ids become the namespace prefix of every tool, prompt and resource the upstream
 * offers, so they are short and restricted to characters valid in MCP tool names.
 */
export const UPSTREAM_ID_PATTERN = /^[a-z][a-z0-9-]{0,23}$/;

/** Header names whose values are credentials (authorization, cookies, API keys, tokens, secrets). */
const CREDENTIAL_HEADER = /^(authorization|proxy-authorization|cookie)$|api[-_]?key|token|secret|password|credential/i;

export const RiskClassSchema = z.enum(['read-only', 'write', 'destructive']);

/** A value for an upstream's environment or headers: literal text (not a secret) or a secret reference. */
const EnvValueSchema = z.union([z.string().max(4096), SecretRefSchema]);

const TimeoutsSchema = z
  .strictObject({
    connectMs: z.number().int().min(100).max(120_000).default(5_000).describe('Connecting (TCP, or a stdio process starting) and the handshake'),
    callMs: z.number().int().min(100).max(3_600_000).default(60_000).describe('A whole request (tools/call, resources/read, ...) from sending to the final response'),
    idleMs: z
      .number()
      .int()
      .min(100)
      .max(3_600_000)
      .default(300_000)
      .describe('A request whose upstream sends nothing (no progress, no bytes) for this long is aborted'),
    listMs: z.number().int().min(100).max(120_000).default(10_000).describe('Listing tools, prompts and resources'),
  })
  .prefault({});

const RiskRuleSchema = z.strictObject({
  match: z
    .string()
    .regex(/^[A-Za-z0-9_.*?/-]{1,128}$/, 'must be a tool name or glob of the upstream ("*" any run, "?" one character)')
    .describe('Tool name as the upstream names it (not the namespaced name); globs allowed'),
  class: RiskClassSchema,
});

export const UpstreamSchema = z
  .strictObject({
    id: z
      .string()
      .regex(UPSTREAM_ID_PATTERN, 'must be a lowercase slug of 1-24 characters: a letter, then a-z, 0-9 or "-"')
      .describe('Upstream id, also the namespace prefix of its tools: <id>__<tool>'),
    transport: z.enum(['stdio', 'http', 'sse']).describe('stdio: a local process; http: Streamable HTTP; sse: the legacy HTTP+SSE transport'),
    command: z.string().min(1).optional().describe('stdio: the program to run (never through a shell)'),
    args: z.array(z.string()).default([]).describe('stdio: argv after the command'),
    env: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), EnvValueSchema).default({}).describe(
      'stdio: environment for the process (only PATH, HOME, LANG and these are passed; the gateway\'s own environment is not inherited)',
    ),
    cwd: z.string().optional(),
    url: z.url({ protocol: /^https?$/ }).optional().describe('http/sse: the MCP endpoint (sse: the GET stream URL)'),
    internal: z
      .boolean()
      .default(false)
      .describe(
        'http/sse: the upstream is on this machine or the private network; only then may its host resolve to loopback, private (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7), link-local or metadata addresses',
      ),
    headers: z
      .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), EnvValueSchema)
      .default({})
      .describe('http/sse: headers the gateway adds (credentials as secret references); the agent\'s own credential is never passed on'),
    protocol: z
      .enum(['auto', '2026-07-28', '2025-11-25'])
      .default('auto')
      .describe('auto: try 2026-07-28 (server/discover), fall back to the 2025-11-25 initialize handshake'),
    prefix: z
      .boolean()
      .default(true)
      .describe(
        'false: expose this upstream\'s tools, prompts and resource URIs under their own names (at most one upstream; names that collide with another upstream\'s are refused)',
      ),
    autoApprove: z.boolean().default(false).describe('Approve new and changed tool definitions without review (trusted upstreams only)'),
    risk: z
      .array(RiskRuleSchema)
      .default([])
      .describe('Risk class per tool, first match wins; tools no rule matches are destructive (upstream annotations are never trusted)'),
    allowUnlistedResources: z
      .boolean()
      .default(false)
      .describe(
        'Let agents read (and subscribe to) URIs this upstream does not list and no template matches; they are authorized as <id>__<URI with other characters as _>. Default: only listed resources and template instances',
      ),
    allowSampling: z.boolean().default(false).describe('Forward sampling/createMessage requests from this upstream to the agent'),
    allowElicitation: z.boolean().default(false).describe('Forward elicitation/create requests from this upstream to the agent'),
    timeouts: TimeoutsSchema,
    maxResultBytes: z.number().int().min(1024).max(512 * 1024 * 1024).default(10 * 1024 * 1024).describe('Largest response accepted, counted by bytes read'),
    maxListItems: z.number().int().min(1).max(100_000).default(2_000).describe('More tools (or prompts, resources) than this marks the listing as failed'),
    refreshIntervalMs: z.number().int().min(1_000).default(60_000).describe('Re-list tools this often even without a list_changed notification'),
    restart: z
      .strictObject({
        initialDelayMs: z.number().int().min(10).default(500),
        maxDelayMs: z.number().int().min(10).default(30_000),
      })
      .prefault({})
      .describe('stdio: restart back-off after the process exits'),
  })
  .superRefine((u, ctx) => {
    // Credentials are never written inline: a header that carries one must be a reference.
    for (const [name, value] of Object.entries(u.headers)) {
      if (typeof value === 'string' && CREDENTIAL_HEADER.test(name)) {
        ctx.addIssue({ code: 'custom', path: ['headers', name], message: `${name} carries a credential: write a secret reference, {env: NAME} or {file: path}` });
      }
    }
    if (u.transport === 'stdio' && !u.command) ctx.addIssue({ code: 'custom', path: ['command'], message: 'a stdio upstream needs a command' });
    if (u.transport !== 'stdio' && !u.url) ctx.addIssue({ code: 'custom', path: ['url'], message: `an ${u.transport} upstream needs a url` });
    if (u.transport === 'stdio' && u.url) ctx.addIssue({ code: 'custom', path: ['url'], message: 'a stdio upstream takes a command, not a url' });
    if (u.transport !== 'stdio' && u.command) ctx.addIssue({ code: 'custom', path: ['command'], message: 'only stdio upstreams take a command' });
    if (u.transport === 'stdio' && u.internal) ctx.addIssue({ code: 'custom', path: ['internal'], message: 'only http and sse upstreams take internal (a stdio upstream runs on this machine anyway)' });
    const refused = u.transport !== 'stdio' && u.url ? refusedLiteralHost(u.url, u.internal, 'an upstream') : null;
    if (refused !== null) ctx.addIssue({ code: 'custom', path: ['url'], message: refused });
  });

export type UpstreamConfig = z.output<typeof UpstreamSchema>;

export const McpConfigSchema = z
  .strictObject({
    upstreams: z
      .array(UpstreamSchema)
      .default([])
      .superRefine((list, ctx) => {
        const seen = new Set<string>();
        let unprefixed: string | null = null;
        list.forEach((u, i) => {
          if (seen.has(u.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `upstream id "${u.id}" is used twice` });
          seen.add(u.id);
          if (!u.prefix) {
            if (unprefixed) ctx.addIssue({ code: 'custom', path: [i, 'prefix'], message: `only one upstream may be unprefixed ("${unprefixed}" already is)` });
            unprefixed ??= u.id;
          }
        });
      }),
    allowedOrigins: z
      .array(z.string().min(1))
      .default([])
      .describe('Browser origins accepted on /mcp besides the gateway\'s own; any other Origin gets 403 (DNS-rebinding protection)'),
    allowedHosts: z
      .array(z.string().min(1))
      .default([])
      .describe('Host header values accepted on /mcp; empty: the listen address, localhost and 127.0.0.1 when listening on loopback, anything otherwise'),
    sessionIdleMs: z.number().int().min(1000).default(30 * 60_000).describe('A 2025-11-25 session unused this long is closed'),
    maxSessionsPerAgent: z.number().int().min(1).default(64),
    maxStreamsPerAgent: z
      .number()
      .int()
      .min(1)
      .default(16)
      .describe('Open notification streams (GET streams, legacy SSE sessions, subscriptions/listen) per agent; more get 429'),
    maxStreams: z.number().int().min(1).default(4096).describe('Open notification streams in total; more get 503'),
    maxNotificationsPerSecond: z
      .number()
      .int()
      .min(1)
      .default(200)
      .describe('Per request stream: notifications beyond this rate from an upstream are dropped (and counted)'),
  })
  .prefault({});

export type McpConfig = z.output<typeof McpConfigSchema>;

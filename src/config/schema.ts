import { z } from 'zod';
import { GovernanceConfigSchema } from './governance-schema.js';
import { LlmConfigSchema } from './llm-schema.js';
import { McpConfigSchema } from './mcp-schema.js';
import { SecretRefSchema } from './secret-ref.js';

const Durability = z.enum(['normal', 'full']).describe(
  'normal: synchronous=NORMAL in WAL (survives a process crash, a power loss may lose the last commits); full: synchronous=FULL (also survives power loss)',
);

/** warden.yaml: process configuration. Every key is optional; defaults are the embedded set-up. */
export const ConfigSchema = z.strictObject({
  listen: z
    .strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
    })
    .prefault({}),
  dataDir: z.string().default('./data').describe('SQLite databases and generated files live here'),
  catalogDir: z.string().default('./agents-catalog'),
  importsDir: z.string().default('./openapi-imports'),
  admin: z
    .strictObject({
      token: SecretRefSchema.optional().describe(
        'Admin API token. Default: a random token generated once into <dataDir>/admin.token (mode 0600)',
      ),
    })
    .prefault({}),
  audit: z
    .strictObject({
      durability: Durability.default('normal'),
      maxBatch: z.number().int().min(1).max(10_000).default(512).describe('Most records in one group commit'),
      commitWaitMs: z
        .number()
        .int()
        .min(100)
        .max(60_000)
        .default(5000)
        .describe('How long a request waits for its audit record to commit before failing closed with 503'),
      busyTimeoutMs: z.number().int().min(0).max(60_000).default(1000),
      maxPending: z.number().int().min(100).default(100_000).describe('Records queued for commit before new ones are refused'),
      walSyncMs: z
        .number()
        .int()
        .min(0)
        .max(60_000)
        .default(100)
        .describe('At durability normal: sync the WAL in the background this often while records are committed (0: never)'),
      checkpoint: z
        .strictObject({
          everyRecords: z.number().int().min(1).default(1000),
          everySeconds: z.number().int().min(1).default(60),
          file: z.string().optional().describe('Also append each checkpoint to this JSONL file (keep it outside the database host for tamper evidence)'),
          signingKey: SecretRefSchema.optional().describe('Ed25519 private key (PEM) used to sign checkpoints'),
        })
        .prefault({}),
    })
    .prefault({}),
  limits: z
    .strictObject({
      maxBodyBytes: z.number().int().min(1024).default(1024 * 1024),
      maxInFlight: z.number().int().min(1).default(1024),
      maxBodyReadsPerAgent: z
        .number()
        .int()
        .min(1)
        .default(16)
        .describe('Request bodies one agent may be sending at once; more are refused with 429 before their bodies are read (bodies are buffered whole, so this bounds the memory one key can pin)'),
      maxConnections: z.number().int().min(1).default(4096).describe('Open connections beyond this are refused; keep it below the open-file limit'),
      headersTimeoutMs: z.number().int().min(1000).default(10_000).describe('A client must send its request headers within this time'),
      maxEventLoopDelayMs: z.number().int().min(10).default(200).describe('Shed load while the event-loop delay p99 is above this'),
      shutdownDrainMs: z.number().int().min(0).default(25_000),
      requestTimeoutMs: z.number().int().min(1000).default(120_000),
    })
    .prefault({}),
  keys: z
    .strictObject({
      revokeRemovedAgentKeysAfterMs: z
        .number()
        .int()
        .min(0)
        .default(60_000)
        .describe(
          'When an agent leaves the catalog and stays gone this long, its keys are revoked (so an agent later added under the same id does not inherit them); a file that only disappears for a moment (an editor, a redeploy) keeps them',
        ),
    })
    .prefault({}),
  mcp: McpConfigSchema.describe('The MCP endpoint and the upstream MCP servers behind it'),
  llm: LlmConfigSchema.prefault({}),
  governance: GovernanceConfigSchema.prefault({}),
  log: z
    .strictObject({
      level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      pretty: z.enum(['auto', 'always', 'never']).default('auto').describe('auto: human-readable when stdout is a TTY'),
    })
    .prefault({}),
});

export type WardenConfigInput = z.input<typeof ConfigSchema>;
export type WardenConfig = z.output<typeof ConfigSchema>;

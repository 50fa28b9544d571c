import { z } from 'zod';
import { RiskClassSchema, UPSTREAM_ID_PATTERN } from '../config/mcp-schema.js';
import { CredentialsConfigSchema } from './credentials/credential-schema.js';

/**
 * `<spec>.warden.yaml` beside a spec in openapi-imports/: how the operator wants the API
 * exposed. Every key is optional; without a sidecar an import takes its namespace from the
 * file name and its base URL from the spec's first server.
 */

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

const SelectionSchema = z
  .strictObject({
    tags: z.array(z.string().min(1)).optional().describe('Operations carrying any of these tags'),
    paths: z.array(z.string().min(1)).optional().describe('Path templates as written in the spec, globs allowed ("/repos/*": "*" any run, "?" one character)'),
    methods: z.array(z.enum(HTTP_METHODS)).optional().describe('HTTP methods, lower case'),
    operations: z.array(z.string().min(1)).optional().describe('operationIds (globs allowed) or "METHOD /path" keys'),
  })
  .describe('An operation matches when it matches every criterion given (and any value within one criterion)');

const OperationOverrideSchema = z.strictObject({
  name: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,60}$/, 'must be 1-60 characters of A-Z a-z 0-9 _ -')
    .optional()
    .describe('Tool name (without the namespace) instead of the one derived from the operationId'),
  description: z.string().max(4096).optional(),
  timeoutMs: z.number().int().min(100).max(600_000).optional().describe('Total time for this operation\'s HTTP call'),
  maxResponseBytes: z.number().int().min(1024).max(256 * 1024 * 1024).optional(),
  risk: RiskClassSchema.optional().describe('Instead of the class derived from the method'),
  outputSchema: z.boolean().optional().describe('Advertise (and enforce) the response schema for this operation'),
});

export const ImportSidecarSchema = z.strictObject({
  namespace: z
    .string()
    .regex(UPSTREAM_ID_PATTERN, 'must be a lowercase slug of 1-24 characters: a letter, then a-z, 0-9 or "-"')
    .optional()
    .describe('Prefix of every tool name (`<namespace>__<tool>`). Default: the spec file name, made a slug'),
  baseUrl: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL' })
    .optional()
    .describe('Where calls go. Default: the spec\'s first server, its variables at their defaults'),
  serverVariables: z
    .record(z.string(), z.string())
    .optional()
    .describe('Values for the chosen server\'s variables (only values its enum allows); ignored with baseUrl'),
  internal: z.boolean().default(false).describe('The API is on loopback or a private network: allow those addresses'),
  allowHttp: z.boolean().default(false).describe('Allow a plain http:// base URL (credentials would travel in clear text)'),
  credentials: CredentialsConfigSchema,
  include: SelectionSchema.optional().describe('Only these operations become tools'),
  exclude: SelectionSchema.optional().describe('These operations never become tools (applied after include)'),
  dataLabel: z
    .enum(['public', 'internal', 'confidential', 'restricted'])
    .default('internal')
    .describe('Sensitivity of what this API returns (used by data-exposure policies)'),
  autoApprove: z
    .boolean()
    .default(true)
    .describe('Tools are usable as imported; a definition flagged by the injection scan still waits for review. false: every new or changed tool waits for `warden tools approve`'),
  outputSchema: z.boolean().default(false).describe('Advertise each operation\'s JSON response schema and return an error result when a body does not conform'),
  timeouts: z
    .strictObject({
      connectMs: z.number().int().min(100).max(60_000).default(5_000),
      firstByteMs: z.number().int().min(100).max(600_000).default(30_000).describe('From sending the request to the response headers'),
      totalMs: z.number().int().min(100).max(600_000).default(60_000).describe('The whole call, body included'),
    })
    .prefault({}),
  maxResponseBytes: z
    .number()
    .int()
    .min(1024)
    .max(256 * 1024 * 1024)
    .default(10 * 1024 * 1024)
    .describe('Bytes read from a response (after decompression); the connection is dropped past it'),
  maxResultChars: z
    .number()
    .int()
    .min(1024)
    .max(10_000_000)
    .default(100_000)
    .describe('Text returned to the agent is cut here, with a marker saying so'),
  redirects: z.enum(['none', 'same-origin']).default('none').describe('none: a 3xx is returned as an error result; same-origin: followed within the base URL\'s origin'),
  discovery: z
    .boolean()
    .default(false)
    .describe('Offer two tools (search the operations, call one) instead of one tool per operation: for very large APIs'),
  maxTools: z.number().int().min(1).max(100_000).default(2_000).describe('An import producing more tools than this is refused (use include/exclude or discovery)'),
  operations: z
    .record(z.string().min(1), OperationOverrideSchema)
    .default({})
    .describe('Per-operation overrides, keyed by operationId or "METHOD /path"'),
});

export type ImportSidecar = z.infer<typeof ImportSidecarSchema>;
export type OperationSelection = z.infer<typeof SelectionSchema>;
export type OperationOverride = z.infer<typeof OperationOverrideSchema>;

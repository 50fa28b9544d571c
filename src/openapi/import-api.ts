/**
 * One spec file (and its sidecar) to one imported API: its base URL, credentials and one
 * tool per selected operation, each with its input schema and request plan. Operations that
 * cannot be mapped, or whose security cannot be met with the configured credentials, are
 * skipped with a reason; only a problem with the whole file (it does not parse, its sidecar
 * is invalid, it has no usable base URL) refuses the import.
 */
import { dirname } from 'node:path';
import type { ConfigIssue } from '../config/issues.js';
import { resolveSecretRef } from '../config/secret-ref.js';
import type { RiskClass } from '../mcp/registry/risk-class.js';
import { publicToolName } from '../mcp/registry/tool-names.js';
import { analyzeSpec, type AnalyzeRequest, type AnalyzeResult } from './analyze-spec.js';
import { argumentChecker, type ArgumentCheck } from './argument-validation.js';
import type { BaseUrl } from './base-url.js';
import { buildCredentialSet } from './credentials/build-credential-set.js';
import type { CredentialSet } from './credentials/credential-set.js';
import type { Injector } from './credentials/injector.js';
import type { TokenTransport } from './credentials/oauth-client-credentials.js';
import { discoveryDefinitions, type DiscoverableOperation } from './discovery.js';
import { namespaceFromFile, readSidecar, type ImportFiles } from './import-files.js';
import type { SpecVersion } from './load-spec.js';
import type { OperationPlan } from './plan.js';
import type { ImportSidecar } from './sidecar-schema.js';
import { refusedLiteralHost } from '../egress/literal-host.js';

export interface OpenApiTool {
  /** Name within the import (the registry adds the namespace). */
  readonly name: string;
  /** `METHOD /path`. */
  readonly key: string;
  /** The MCP tool definition, under `name`. */
  readonly definition: Readonly<Record<string, unknown>>;
  readonly plan: OperationPlan;
  readonly risk: RiskClass;
  readonly injector: Injector;
  readonly timeouts: { connectMs: number; firstByteMs: number; totalMs: number };
  readonly maxResponseBytes: number;
  /** Compiled on first use: an API of a thousand operations imports without compiling a thousand validators. */
  checkArguments(): ArgumentCheck;
  /** Only when the output schema is advertised. */
  checkOutput(): ArgumentCheck | null;
}

export interface ImportedApi {
  readonly id: string;
  readonly file: string;
  readonly sidecarFile: string | null;
  readonly title: string;
  readonly version: SpecVersion;
  readonly base: BaseUrl;
  readonly sidecar: ImportSidecar;
  readonly credentials: CredentialSet;
  readonly tools: ReadonlyMap<string, OpenApiTool>;
  /** Things the operator should know (an operation override that matches nothing, a dangling $ref). */
  readonly warnings: readonly string[];
  /** Operations that did not become tools, and why. */
  readonly skipped: ReadonlyArray<{ operation: string; reason: string }>;
  /** Credentials the sidecar configures that cannot be used (also among the warnings): the operations needing them are unavailable. */
  readonly credentialProblems: readonly string[];
  /** Public (namespaced) name to tool name, for every operation tool. */
  readonly publicNames: ReadonlyMap<string, string>;
  /** Discovery mode: the two listed tools, and what their search looks through. */
  readonly discovery: { definitions: Record<string, unknown>[]; operations: DiscoverableOperation[] } | null;
}

export interface BuildImportOptions {
  env: NodeJS.ProcessEnv;
  /** Token endpoint calls of OAuth client credentials (through the egress module). */
  tokenTransport: (internal: boolean) => TokenTransport;
  /** Runs the pure half (default: in this thread; the gateway uses a worker thread). */
  analyze?: (req: AnalyzeRequest) => Promise<AnalyzeResult>;
}

export type BuildImportResult = { ok: true; api: ImportedApi } | { ok: false; issues: ConfigIssue[] };

export async function buildImport(files: ImportFiles, opts: BuildImportOptions): Promise<BuildImportResult> {
  const sidecarResult = await readSidecar(files.sidecar);
  if (!sidecarResult.ok) return sidecarResult;
  const sidecar = sidecarResult.sidecar;
  const sidecarFile = files.sidecar ?? files.spec;
  const id = sidecar.namespace ?? namespaceFromFile(files.spec);
  if (id === null) return { ok: false, issues: [{ file: files.spec, path: '(file name)', message: 'no namespace can be made from this file name: set namespace in a sidecar' }] };

  const analyzed = await (opts.analyze ?? analyzeSpec)({ specFile: files.spec, sidecarFile, sidecar });
  if (!analyzed.ok) return analyzed;
  const { title, version, base, operations } = analyzed.analysis;
  const warnings = [...analyzed.analysis.warnings];
  const skipped = [...analyzed.analysis.skipped];
  const refused = refusedLiteralHost(base.href, sidecar.internal, 'an import');
  if (refused !== null) warnings.push(`base URL: ${refused}; every call would be refused`);

  const { set: credentials, problems } = await buildCredentialSet({
    file: sidecarFile,
    securitySchemes: analyzed.analysis.securitySchemes,
    security: analyzed.analysis.documentSecurity,
    config: sidecar.credentials,
    resolveSecret: (ref) => resolveSecretRef(ref, dirname(sidecarFile), opts.env),
    tokenTransport: opts.tokenTransport(sidecar.internal),
    baseUrl: base.href,
    allowHttp: sidecar.allowHttp,
  });
  warnings.push(...problems);

  const tools = new Map<string, OpenApiTool>();
  for (const op of operations) {
    const auth = credentials.forOperation(op.security);
    if (!auth.ok) {
      skipped.push({ operation: op.label, reason: auth.reason });
      continue;
    }
    let argCheck: ArgumentCheck | undefined;
    let outCheck: ArgumentCheck | undefined;
    const inputSchema = op.definition.inputSchema as object;
    const output = op.outputSchema;
    tools.set(op.name, {
      name: op.name,
      key: op.key,
      definition: op.definition,
      plan: op.plan,
      risk: op.risk,
      injector: auth.injector,
      timeouts: op.timeouts,
      maxResponseBytes: op.maxResponseBytes,
      checkArguments: () => (argCheck ??= argumentChecker(inputSchema)),
      checkOutput: () => (output ? (outCheck ??= argumentChecker(output, '(response)')) : null),
    });
  }
  if (!sidecar.discovery && tools.size > sidecar.maxTools) {
    return {
      ok: false,
      issues: [{ file: sidecarFile, path: 'maxTools', message: `${tools.size} tools is more than maxTools (${sidecar.maxTools}): narrow it with include/exclude, raise maxTools, or set discovery: true` }],
    };
  }
  const publicNames = new Map([...tools.keys()].map((n) => [publicToolName(id, n), n]));
  const discovery = sidecar.discovery ? discoveryOf(title, tools, id) : null;
  return {
    ok: true,
    api: { id, file: files.spec, sidecarFile: files.sidecar, title, version, base, sidecar, credentials, tools, warnings, skipped, credentialProblems: problems, publicNames, discovery },
  };
}

function discoveryOf(title: string, tools: ReadonlyMap<string, OpenApiTool>, id: string): ImportedApi['discovery'] {
  const all = [...tools.values()];
  const operations = all.map((t) => {
    const description = String(t.definition.description ?? '');
    return {
      publicName: publicToolName(id, t.name),
      name: t.name,
      key: t.key,
      description,
      risk: t.risk,
      inputSchema: t.definition.inputSchema,
      haystack: { name: t.name.toLowerCase(), key: t.key.toLowerCase(), description: description.toLowerCase() },
    };
  });
  const worst = { destructive: all.some((t) => t.risk === 'destructive'), readOnly: all.every((t) => t.risk === 'read-only') };
  return { definitions: discoveryDefinitions(title, all.length, worst), operations };
}

/**
 * The heavy, pure half of an import: parse, upgrade and dereference the spec, pick its base
 * URL and operations, and map every operation to a tool definition and request plan. Its
 * result is plain data (structured-clonable), so it can run in a worker thread and never
 * stall the gateway's event loop, however large the spec. Credentials are not touched here:
 * which parameters carry them follows from the spec and the sidecar alone.
 */
import type { ConfigIssue } from '../config/issues.js';
import type { RiskClass } from '../mcp/registry/risk-class.js';
import { resolveBaseUrl, type BaseUrl } from './base-url.js';
import { hiddenParametersOf } from './credentials/hidden-parameters.js';
import { META_TOOLS } from './discovery.js';
import { readSpecText } from './import-files.js';
import { loadSpec, type SpecVersion } from './load-spec.js';
import { selectOperations } from './operations.js';
import type { OperationPlan } from './plan.js';
import { buildToolInput } from './schema/input-schema.js';
import { buildOutputSchema } from './schema/output-schema.js';
import { indexSchemaNames } from './schema/schema-names.js';
import type { ImportSidecar } from './sidecar-schema.js';
import { isObject } from '../util/is-object.js';
import { hasDotSegment } from './request/dot-segments.js';

export interface AnalyzedOperation {
  name: string;
  key: string;
  /** For skip reasons: `METHOD /path (operationId)`. */
  label: string;
  definition: Record<string, unknown>;
  plan: OperationPlan;
  risk: RiskClass;
  /** The operation's own `security` (undefined: the document's applies). */
  security: unknown;
  outputSchema: Record<string, unknown> | null;
  timeouts: { connectMs: number; firstByteMs: number; totalMs: number };
  maxResponseBytes: number;
}

export interface SpecAnalysis {
  title: string;
  version: SpecVersion;
  base: BaseUrl;
  securitySchemes: unknown;
  documentSecurity: unknown;
  operations: AnalyzedOperation[];
  skipped: Array<{ operation: string; reason: string }>;
  warnings: string[];
}

export interface AnalyzeRequest {
  specFile: string;
  /** Where sidecar problems are reported (the sidecar, or the spec when there is none). */
  sidecarFile: string;
  sidecar: ImportSidecar;
}

export type AnalyzeResult = { ok: true; analysis: SpecAnalysis } | { ok: false; issues: ConfigIssue[] };

export async function analyzeSpec(req: AnalyzeRequest): Promise<AnalyzeResult> {
  const { sidecar } = req;
  const text = await readSpecText(req.specFile);
  if (!text.ok) return text;
  const keepResponses = sidecar.outputSchema || Object.values(sidecar.operations).some((o) => o.outputSchema === true);
  const loaded = await loadSpec(req.specFile, text.text, { keepResponses });
  if (!loaded.ok) return loaded;
  const { document, version, title } = loaded.spec;

  const base = resolveBaseUrl(document, sidecar);
  if (!base.ok) return { ok: false, issues: [{ file: req.sidecarFile, path: sidecar.baseUrl !== undefined ? 'baseUrl' : 'servers', message: base.reason }] };
  const warnings = [...loaded.spec.warnings];
  if (base.fromSpec) warnings.push(`base URL ${base.base.href} taken from the spec's first server: set baseUrl in the sidecar to choose it explicitly`);

  const components = isObject(document.components) ? document.components : {};
  const hidden = hiddenParametersOf(components.securitySchemes, sidecar.credentials);
  // As the request builder refuses them: a header, query parameter or cookie whose name (in any
  // case) is a credential's name in any of those places. Advertising one would offer an
  // argument that every call refuses.
  const reserved = new Set(hidden.map((h) => h.name.toLowerCase()));
  const isHidden = (p: { name: string; in: string }) => p.in !== 'path' && reserved.has(p.name.toLowerCase());
  const selected = selectOperations(document, sidecar);
  warnings.push(...selected.warnings);
  // $defs of recursive schemas are named after their components.
  const schemaNames = indexSchemaNames(document);

  const operations: AnalyzedOperation[] = [];
  const taken = new Map<string, string>();
  const skipped: SpecAnalysis['skipped'] = [];
  for (const op of selected.operations) {
    const label = op.operationId ? `${op.key} (${op.operationId})` : op.key;
    const skip = (reason: string) => skipped.push({ operation: label, reason });
    if (op.method === 'TRACE') {
      // A TRACE answer echoes the request, credentials included.
      skip('TRACE operations are not imported (the answer echoes the request and its credentials)');
      continue;
    }
    const badPath = pathTemplateProblem(op.pathTemplate);
    if (badPath !== null) {
      skip(badPath);
      continue;
    }
    if ((Array.isArray(op.operation.servers) && op.operation.servers.length > 0) || op.pathItemHasServers) {
      skip('the operation has its own servers (another origin), which imports do not call');
      continue;
    }
    let input: ReturnType<typeof buildToolInput>;
    try {
      input = buildToolInput({ method: op.method, pathTemplate: op.pathTemplate, pathItemParameters: op.pathItemParameters, operation: op.operation, isHidden, schemaNames });
    } catch (err) {
      // A mapper bug on one strange operation must not cost the other operations.
      skip(`cannot be mapped: ${(err as Error).message.slice(0, 200)}`);
      continue;
    }
    if (!input.ok) {
      skip(input.reason);
      continue;
    }
    for (const w of input.warnings) warnings.push(`${label}: ${w}`);
    // In discovery mode the two meta tools own their names; an operation called the same moves aside.
    const name = sidecar.discovery && META_TOOLS.has(op.toolName) ? `${op.toolName}_op` : op.toolName;
    if (taken.has(name)) {
      skip(`tool name ${name} is already used by ${taken.get(name)}`);
      continue;
    }
    taken.set(name, op.key);
    const wantsOutput = op.override?.outputSchema ?? sidecar.outputSchema;
    const output = wantsOutput ? buildOutputSchema(op.operation, { schemaNames }) : null;
    for (const w of output?.warnings ?? []) warnings.push(`${label}: output schema: ${w}`);
    const outputSchema = output?.schema ?? null;
    operations.push({
      name,
      key: op.key,
      label,
      definition: {
        name,
        description: op.description,
        inputSchema: input.inputSchema,
        ...(outputSchema ? { outputSchema } : {}),
        annotations: op.annotations,
      },
      plan: input.plan,
      risk: op.risk,
      security: op.operation.security,
      outputSchema,
      timeouts: { ...sidecar.timeouts, ...(op.override?.timeoutMs !== undefined ? { totalMs: op.override.timeoutMs } : {}) },
      maxResponseBytes: op.override?.maxResponseBytes ?? sidecar.maxResponseBytes,
    });
  }
  return {
    ok: true,
    analysis: { title, version, base: base.base, securitySchemes: components.securitySchemes, documentSecurity: document.security, operations, skipped, warnings },
  };
}

/**
 * The fixed parts of a path template go on the wire as written: they must already be a valid
 * path (RFC 3986 pchar and "/", percent-escapes allowed). A `#fragment` key is dropped by the
 * request builder; a `?` or a space would not survive.
 */
function pathTemplateProblem(template: string): string | null {
  const fixed = template.replace(/#.*$/, '').replace(/\{[^}]*\}/g, '');
  if (!fixed.startsWith('/')) return 'the path does not start with "/"';
  // The request builder refuses every path with a dot segment: such a template could never be called.
  if (hasDotSegment(template.replace(/#.*$/, '').replace(/\{[^}]*\}/g, 'x'))) return 'the path template has a "." or ".." segment (also percent-encoded), which the gateway never sends';
  return /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*$/.test(fixed) ? null : 'the path template has characters a URL path cannot carry as they are (spaces, "?", non-ASCII)';
}

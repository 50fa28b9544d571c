import { access, stat } from 'node:fs/promises';
import { constants } from 'node:fs';
import { dirname } from 'node:path';
import { loadAdminToken } from '../admin/admin-token.js';
import { loadSigningKey } from '../audit/index.js';
import { loadCatalog } from '../catalog/index.js';
import { ConfigError, formatIssues, type ConfigIssue } from '../config/issues.js';
import { resolveSecretRef } from '../config/secret-ref.js';
import { upstreamSecretIssues } from '../mcp/upstream/check-secrets.js';
import { buildImport } from '../openapi/import-api.js';
import { listImportFiles } from '../openapi/import-files.js';
import { pino } from 'pino';
import type { Catalog } from '../catalog/index.js';
import { Egress } from '../egress/egress.js';
import { resolveWebhookConfig } from '../alerts/index.js';
import { createLlm } from '../llm/create-llm.js';
import type { ModelDirectory } from '../llm/model-directory.js';
import { configFrom, parse, tableCell, type Io } from './common.js';
import { CHECK_HELP } from './help-texts.js';

export async function checkCommand(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {}, false);
  if (values.help) {
    io.out.write(`${CHECK_HELP}\n`);
    return 0;
  }
  const issues: ConfigIssue[] = [];
  const config = await configFrom(values); // throws ConfigError with its own report
  const file = config.file ?? 'warden.yaml';
  if (config.admin.token) {
    try {
      await loadAdminToken(config.admin.token, config.dataDir, config.baseDir);
    } catch (err) {
      if (err instanceof ConfigError) issues.push(...err.issues);
      else throw err;
    }
  }
  if (config.audit.checkpoint.signingKey) {
    const r = await resolveSecretRef(config.audit.checkpoint.signingKey, config.baseDir);
    if (!r.ok) issues.push({ file, path: 'audit.checkpoint.signingKey', message: r.message });
    else {
      // The same check `start` makes: an unusable key must not pass `check`.
      try {
        loadSigningKey(r.secret.reveal());
      } catch (err) {
        issues.push({ file, path: 'audit.checkpoint.signingKey', message: (err as Error).message });
      }
    }
  }
  issues.push(...(await upstreamSecretIssues(config.mcp, config.baseDir, file)));
  const egress = new Egress();
  const llm = await createLlm(config.llm, egress, pino({ level: 'silent' }), { baseDir: config.baseDir, file, preload: false }).finally(() => egress.close());
  issues.push(...llm.issues);
  if (config.governance.alerts.webhook) {
    const r = await resolveWebhookConfig(config.governance.alerts.webhook, config.baseDir);
    if (!r.ok) issues.push({ file, path: 'governance.alerts.webhook', message: r.message });
  }
  const dataProblem = await writableDir(config.dataDir);
  if (dataProblem) issues.push({ file, path: 'dataDir', message: dataProblem });
  const catalog = await loadCatalog(config.catalogDir);
  if (!catalog.ok) issues.push(...catalog.issues);
  const imports = await checkImports(config.importsDir, new Set(config.mcp.upstreams.map((u) => u.id)));
  issues.push(...imports.issues);
  if (issues.length > 0) {
    io.err.write(`invalid: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}\n`);
    return 1;
  }
  if (catalog.ok) {
    for (const w of catalog.warnings) io.err.write(`warning: ${w.file}: ${w.path}: ${w.message}\n`);
    for (const w of imports.warnings) io.err.write(`warning: ${w}\n`);
    // Without providers the LLM proxy is simply off; a default model then names nothing on purpose.
    if (config.llm.providers.length > 0) for (const w of modelWarnings(catalog.catalog, llm.service.models)) io.err.write(`warning: ${w}\n`);
    io.out.write(
      `ok: configuration ${config.file ?? '(embedded defaults)'}, ${catalog.catalog.agents.size} agent(s) in ${config.catalogDir}, ${imports.apis} OpenAPI import(s) with ${imports.tools} tool(s) in ${config.importsDir}, ${llm.service.models.size} LLM model(s) and alias(es)\n`,
    );
  }
  return 0;
}

/** The data directory, or the nearest ancestor that exists, must be a writable directory. */
async function writableDir(dir: string): Promise<string | null> {
  let probe = dir;
  for (;;) {
    try {
      const st = await stat(probe);
      if (!st.isDirectory()) return `${probe} is not a directory`;
      await access(probe, constants.W_OK);
      return null;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') return `${probe} is not writable (${code})`;
      const parent = dirname(probe);
      if (parent === probe) return `${dir} cannot be created`;
      probe = parent;
    }
  }
}

/** Every spec of the imports folder, imported as the gateway would (no network: OAuth tokens are not fetched). */
async function checkImports(dir: string, upstreamIds: ReadonlySet<string>): Promise<{ issues: ConfigIssue[]; warnings: string[]; apis: number; tools: number }> {
  const out = { issues: [] as ConfigIssue[], warnings: [] as string[], apis: 0, tools: 0 };
  const owners = new Map<string, string>();
  for (const files of await listImportFiles(dir)) {
    const r = await buildImport(files, { env: process.env, tokenTransport: () => () => Promise.reject(new Error('not called by warden check')) });
    if (!r.ok) {
      out.issues.push(...r.issues);
      continue;
    }
    const where = files.sidecar ?? files.spec;
    if (upstreamIds.has(r.api.id)) out.issues.push({ file: where, path: 'namespace', message: `namespace ${r.api.id} is the id of an MCP upstream` });
    else if (owners.has(r.api.id)) out.issues.push({ file: where, path: 'namespace', message: `namespace ${r.api.id} is already used by ${owners.get(r.api.id)}` });
    else owners.set(r.api.id, files.spec);
    out.apis++;
    out.tools += r.api.tools.size;
    // Like an MCP upstream's, a credential reference that does not resolve is a problem here (the gateway would serve the import without those operations).
    for (const p of r.api.credentialProblems) out.issues.push(credentialIssue(where, p));
    for (const w of r.api.warnings) if (!r.api.credentialProblems.includes(w)) out.warnings.push(`${files.spec}: ${tableCell(w, 300)}`);
    if (r.api.skipped.length > 0) out.warnings.push(`${files.spec}: ${r.api.skipped.length} operation(s) skipped (warden import --check ${files.spec} lists them)`);
  }
  return out;
}

/** Agents whose default model names nothing the LLM proxy serves would fail every request that names no model. */
function modelWarnings(catalog: Catalog, models: ModelDirectory): string[] {
  const out: string[] = [];
  for (const agent of catalog.agents.values()) {
    const d = agent.models?.defaultModel;
    if (d !== undefined && !models.route(d)) out.push(`${agent.file}: models.defaultModel "${d}" is not a model or alias in llm`);
  }
  return out;
}

/** A credential problem ("<file>: <path>: <reason>") as an issue, without naming the file twice. */
function credentialIssue(file: string, problem: string): { file: string; path: string; message: string } {
  const rest = problem.startsWith(`${file}: `) ? problem.slice(file.length + 2) : problem;
  const cut = rest.indexOf(': ');
  return cut > 0 && rest.startsWith('credentials') ? { file, path: rest.slice(0, cut), message: rest.slice(cut + 2) } : { file, path: 'credentials', message: rest };
}

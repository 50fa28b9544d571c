// OpenAPI import cost: time and peak RSS to import GitHub's REST API spec (@octokit/openapi,
// 13 MB, over 1,000 operations) and a folder of 500 mixed specs, each in a fresh process
// running the gateway's own import code (dist/). Also: the gateway started on that folder,
// time until every import is loaded and its RSS then.
// Run: npm run build && node bench/openapi-import.mjs
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machine, start, stop, workspace } from './lib.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const require = createRequire(import.meta.url);
const GITHUB = require.resolve('@octokit/openapi/generated/api.github.com.json');
const EXAMPLES = dirname(require.resolve('@readme/oas-examples/package.json'));
const FOLDER_SIZE = Number(process.env.SPECS ?? 500);

/** One child process imports every spec of `dir` with the gateway's code; prints JSON figures. */
const CHILD = `
const { buildImport } = await import(${JSON.stringify(join(HERE, '../dist/openapi/import-api.js'))});
const { listImportFiles } = await import(${JSON.stringify(join(HERE, '../dist/openapi/import-files.js'))});
const dir = process.argv[1];
const t0 = performance.now();
let tools = 0, skipped = 0, failed = 0;
for (const files of await listImportFiles(dir)) {
  const r = await buildImport(files, { env: process.env, tokenTransport: () => () => Promise.reject(new Error('no tokens')) });
  if (!r.ok) { failed++; continue; }
  tools += r.api.tools.size; skipped += r.api.skipped.length;
}
const ms = performance.now() - t0;
console.log(JSON.stringify({ ms, tools, skipped, failed, maxRssMb: process.resourceUsage().maxRSS / 1024, rssMb: process.memoryUsage().rss / 2 ** 20 }));
`;

function importInChild(dir) {
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', CHILD, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  return JSON.parse(out.trim().split('\n').pop());
}

function sidecar(dir, name, extra = '') {
  writeFileSync(join(dir, `${name}.warden.yaml`), `baseUrl: https://api.example.test\nmaxTools: 5000\n${extra}`);
}

function githubFolder(root) {
  const dir = join(root, 'github');
  mkdirSync(dir);
  copyFileSync(GITHUB, join(dir, 'github.json'));
  sidecar(dir, 'github');
  return dir;
}

/** 500 specs: the @readme/oas-examples documents round-robin (each under its own namespace), plus GitHub's. */
function mixedFolder(root) {
  const dir = join(root, 'mixed');
  mkdirSync(dir);
  const sources = [];
  const walk = (d) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.(json|ya?ml)$/.test(n)) sources.push(p);
    }
  };
  for (const v of ['2.0', '3.0', '3.1']) walk(join(EXAMPLES, v));
  copyFileSync(GITHUB, join(dir, 's000-github.json'));
  sidecar(dir, 's000-github');
  for (let i = 1; i < FOLDER_SIZE; i++) {
    const src = sources[(i - 1) % sources.length];
    const name = `s${String(i).padStart(3, '0')}-${src.split('/').pop().replace(/\.(json|ya?ml)$/, '').replace(/[^a-z0-9-]/gi, '-').toLowerCase()}`.slice(0, 24).replace(/-+$/, '');
    copyFileSync(src, join(dir, `${name}.${src.endsWith('.json') ? 'json' : 'yaml'}`));
    sidecar(dir, name);
  }
  return dir;
}

/** The real gateway on the folder: time from spawn until its log says the last import loaded; RSS then. */
async function gatewayOn(dir) {
  const ws = workspace({ catalog: '', config: `importsDir: ${JSON.stringify(dir)}\n` });
  try {
    const t0 = performance.now();
    const gw = await start(ws);
    const expected = readdirSync(dir).filter((n) => !n.includes('.warden.')).length;
    const deadline = Date.now() + 300_000;
    let ready = null;
    while (Date.now() < deadline) {
      const r = await fetch(`${gw.url}/readyz`);
      if (r.status === 200) {
        ready = performance.now() - t0;
        break;
      }
      await new Promise((res) => setTimeout(res, 50));
    }
    const status = await fetch(`${gw.url}/admin/openapi`, { headers: { authorization: `Bearer ${gw.adminToken}` } }).then((r) => r.json());
    const rssMb = Number(execFileSync('ps', ['-o', 'rss=', '-p', String(gw.proc.pid)], { encoding: 'utf8' }).trim()) / 1024;
    await stop(gw.proc);
    return { readyMs: ready, rssMb, imports: status.imports?.length ?? null, expected };
  } finally {
    ws.cleanup();
  }
}

const root = join(os.tmpdir(), `warden-import-bench-${process.pid}`);
mkdirSync(root, { recursive: true });
try {
  console.log(`# openapi-import: ${machine()}`);
  console.log('# command: node bench/openapi-import.mjs');
  const gh = githubFolder(root);
  const mixed = mixedFolder(root);
  const rows = [];
  for (let run = 0; run < 3; run++) rows.push(['GitHub REST (1 spec, 13 MB)', importInChild(gh)]);
  rows.push([`${FOLDER_SIZE} mixed specs (GitHub + @readme/oas-examples)`, importInChild(mixed)]);
  console.log('\n| import (fresh process, dist/ code) | time s | tools | skipped | peak RSS MB |');
  console.log('|---|--:|--:|--:|--:|');
  for (const [what, r] of rows) console.log(`| ${what} | ${(r.ms / 1000).toFixed(2)} | ${r.tools} | ${r.skipped} | ${r.maxRssMb.toFixed(0)} |`);
  console.log('\nTargets (issue #4): GitHub spec imported in under 2 s and under 200 MB RSS.');
  const g1 = await gatewayOn(gh);
  const g2 = await gatewayOn(mixed);
  console.log('\n| gateway started on the folder | ready after s | RSS after MB |');
  console.log('|---|--:|--:|');
  console.log(`| GitHub REST | ${(g1.readyMs / 1000).toFixed(2)} | ${g1.rssMb.toFixed(0)} |`);
  console.log(`| ${FOLDER_SIZE} mixed specs | ${(g2.readyMs / 1000).toFixed(2)} | ${g2.rssMb.toFixed(0)} |`);
} finally {
  rmSync(root, { recursive: true, force: true });
}

/** Worker thread of spec-analyzer.ts: analyzes specs one message at a time. */
import { parentPort } from 'node:worker_threads';
import { analyzeSpec, type AnalyzeRequest } from './analyze-spec.js';

parentPort?.on('message', (m: { id: number; req: AnalyzeRequest }) => {
  analyzeSpec(m.req).then(
    (result) => parentPort?.postMessage({ id: m.id, result }),
    (err: unknown) =>
      parentPort?.postMessage({ id: m.id, result: { ok: false, issues: [{ file: m.req.specFile, path: '(import)', message: `import failed: ${String((err as Error)?.message ?? err).slice(0, 200)}` }] } }),
  );
});

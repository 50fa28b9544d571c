import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendDirect, openAuditDb } from '../../src/audit/direct.js';
import { sampleEvent, tempAuditDir } from '../../src/audit/test-fixtures.js';
import { CLI } from '../helpers/gateway-process.js';

interface Run {
  code: number | null;
  stderr: string;
}

/**
 * Runs the real CLI on the temp trail with `stdout` as given; `onStdout` gets the child's
 * stdout when it is a pipe (to read some of it and close it).
 */
function runCli(dir: string, args: string[], stdout: 'pipe' | number, onStdout?: (s: Readable) => void): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [CLI, ...args, '--data-dir', dir], { cwd: dir, stdio: ['ignore', stdout, 'pipe'] });
    let stderr = '';
    child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    if (onStdout) onStdout(child.stdout!);
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stderr }));
  });
}

// Reads the first chunk, then closes the reading end, as `| head -c 10` does.
const closeAfterFirstChunk = (s: Readable): void => void s.once('data', () => s.destroy());

describe('warden audit export to standard output (real CLI process)', () => {
  let t: ReturnType<typeof tempAuditDir>;
  beforeAll(() => {
    t = tempAuditDir();
    const db = openAuditDb(t.dbPath);
    // About 1 MB of JSONL: far more than a pipe buffers, so the export is still writing when the reader leaves.
    appendDirect(db, Array.from({ length: 2500 }, (_, i) => sampleEvent(i + 1, { reason: 'r'.repeat(200) })));
    db.close();
  });
  afterAll(() => t?.cleanup());

  it('exits 1 with one line when the reader closes the pipe early, in both formats; query to a closed pipe still exits 0', async () => {
    for (const format of ['jsonl', 'csv']) {
      const r = await runCli(t.dir, ['audit', 'export', '--format', format], 'pipe', closeAfterFirstChunk);
      expect(r, format).toEqual({ code: 1, stderr: 'warden audit: export to standard output failed: the reading end was closed\n' });
    }
    // Other commands: a reader that has seen enough (`warden audit query | head`) is no failure.
    const q = await runCli(t.dir, ['audit', 'query', '--limit', '2500'], 'pipe', closeAfterFirstChunk);
    expect(q).toEqual({ code: 0, stderr: '' });
  });

  it('exits 1 with one line, no stack trace, when standard output is full (/dev/full)', async () => {
    const full = openSync('/dev/full', 'w');
    try {
      const r = await runCli(t.dir, ['audit', 'export'], full);
      expect(r).toEqual({ code: 1, stderr: 'warden audit: export to standard output failed: no space left on device\n' });
      const q = await runCli(t.dir, ['audit', 'query'], full);
      expect(q).toEqual({ code: 1, stderr: 'error: writing to standard output failed: no space left on device\n' });
    } finally {
      closeSync(full);
    }
  });
});

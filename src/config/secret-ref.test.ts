import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SECRET_FILE_BYTES, resolveSecretRef } from './secret-ref.js';

describe('secret references', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-secret-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('resolves env and file references into a secret that never prints itself', async () => {
    writeFileSync(join(dir, 's.txt'), 'hunter2-file\n');
    const f = await resolveSecretRef({ file: 's.txt' }, dir);
    const e = await resolveSecretRef({ env: 'W_TEST' }, dir, { W_TEST: 'hunter2-env' });
    expect(f.ok && f.secret.reveal()).toBe('hunter2-file');
    expect(e.ok && e.secret.reveal()).toBe('hunter2-env');
    if (f.ok) expect(`${f.secret} ${JSON.stringify({ s: f.secret })} ${inspect(f.secret)}`).not.toContain('hunter2');
  });

  it('refuses a FIFO without blocking, a device, a directory and an oversized file', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    writeFileSync(join(dir, 'big'), Buffer.alloc(MAX_SECRET_FILE_BYTES + 1, 'a'));
    for (const [file, why] of [
      ['pipe', /not a regular file/],
      ['/dev/zero', /not a regular file/],
      ['.', /not a regular file/],
      ['big', /larger than/],
      ['missing', /cannot be read \(ENOENT\)/],
    ] as const) {
      const r = await resolveSecretRef({ file }, dir);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.message).toMatch(why);
    }
  });
});

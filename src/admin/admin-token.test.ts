import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../config/issues.js';
import { ADMIN_TOKEN_FILE, loadAdminToken } from './admin-token.js';

describe('the generated admin token file', () => {
  let dir: string;
  let file: string;
  let warnings: Array<{ fields: Record<string, unknown>; message: string }>;
  const warn = (fields: Record<string, unknown>, message: string) => void warnings.push({ fields, message });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-token-'));
    file = join(dir, ADMIN_TOKEN_FILE);
    warnings = [];
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('generates a token into a new file readable by its owner only, leaving no temp file', async () => {
    const t = await loadAdminToken(undefined, dir, dir, warn);
    const written = readFileSync(file, 'utf8').trim();
    expect(written).toMatch(/^wdnadm_[A-Za-z0-9_-]{43}$/);
    expect(t.verify(written)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir)).toEqual([ADMIN_TOKEN_FILE]);
    expect(warnings).toEqual([]);
  });

  it('refuses a too-short token an operator wrote (even a world-readable one) and leaves the file as it was', async () => {
    writeFileSync(file, 'short\n');
    chmodSync(file, 0o644);
    const err = await loadAdminToken(undefined, dir, dir, warn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]).toMatchObject({ file, message: expect.stringContaining('fewer than 16 characters') });
    expect(readFileSync(file, 'utf8')).toBe('short\n');
    expect(statSync(file).mode & 0o777).toBe(0o644);
  });

  it('uses a valid token file other users can read, with a warning naming the file and chmod 600', async () => {
    writeFileSync(file, 'an-operator-written-admin-token\n');
    chmodSync(file, 0o644);
    const t = await loadAdminToken(undefined, dir, dir, warn);
    expect(t.verify('an-operator-written-admin-token')).toBe(true);
    expect(warnings).toEqual([{ fields: { file, mode: '644' }, message: expect.stringContaining('chmod 600') }]);
    chmodSync(file, 0o600);
    warnings = [];
    await loadAdminToken(undefined, dir, dir, warn);
    expect(warnings).toEqual([]);
  });

  it('refuses a token path it cannot read instead of generating over it', async () => {
    // A folder where the file belongs: reading fails with EISDIR.
    mkdirSync(file);
    const err = await loadAdminToken(undefined, dir, dir, warn).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).issues[0]!.message).toContain('cannot be read (EISDIR)');
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../state/state-store.js';
import { ApprovalCache, AUTO_APPROVER, decideToolVersion } from './approvals.js';
import type { Finding } from './injection-scan.js';

const FLAG: Finding = { rule: 'instruction-tag', path: '/description', excerpt: '<IMPORTANT>' };

describe('tool approvals', () => {
  let dir: string;
  let store: StateStore;
  let cache: ApprovalCache;
  let now: number;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'warden-approvals-'));
    store = StateStore.open(join(dir, 'state.db'));
    cache = new ApprovalCache(store);
    now = 1_000;
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const offer = (hash: string, opts: { autoApprove?: boolean; findings?: Finding[] } = {}) =>
    cache.offer(
      [{ upstream: 'gh', tool: 'create_issue', hash, publicName: 'gh__create_issue', definition: `{"v":"${hash}"}`, findings: opts.findings ?? [] }],
      { autoApprove: opts.autoApprove ?? false, now: ++now },
    )[0]!;
  const decide = (status: 'approved' | 'rejected', hash?: string) => decideToolVersion(store, 'gh__create_issue', { status, hash, by: 'test', note: null, now: ++now });
  const statusOf = (hash: string) => {
    cache.reload();
    return cache.version('gh', 'create_issue', hash)?.status;
  };
  const h = (c: string) => c.repeat(64);

  it('records a tool seen for the first time as pending', () => {
    expect(offer(h('a'))).toEqual({ status: 'pending', inserted: true, autoApproved: false });
    expect(statusOf(h('a'))).toBe('pending');
    expect(store.listToolVersions({ status: 'pending' })).toHaveLength(1);
  });

  it('approves a new tool of an autoApprove upstream, unless the scan found something', () => {
    expect(offer(h('a'), { autoApprove: true })).toMatchObject({ status: 'approved', autoApproved: true });
    expect(store.listToolVersions()[0]).toMatchObject({ decidedBy: AUTO_APPROVER });
    expect(offer(h('b'), { autoApprove: true, findings: [FLAG] })).toMatchObject({ status: 'pending', autoApproved: false });
    expect(JSON.parse(store.listToolVersions({ status: 'pending' })[0]!.findings)).toEqual([FLAG]);
  });

  it('quarantines a changed definition: the new version is pending even though the old one is approved', () => {
    offer(h('a'));
    decide('approved');
    expect(offer(h('b')).status).toBe('pending');
    expect(statusOf(h('a'))).toBe('approved');
    expect(cache.currentApproved('gh', 'create_issue')?.hash).toBe(h('a'));
  });

  it('makes an approved version the current one; a reverted definition is usable again', () => {
    offer(h('a'));
    decide('approved');
    offer(h('b'));
    decide('approved');
    cache.reload();
    expect(cache.currentApproved('gh', 'create_issue')?.hash).toBe(h('b'));
    // The upstream goes back to the first definition: it was approved, so it stays so.
    expect(offer(h('a'))).toEqual({ status: 'approved', inserted: false, autoApproved: false });
  });

  it('keeps a rejected version rejected, even on an autoApprove upstream', () => {
    offer(h('a'));
    expect(decide('rejected').changed).toBe(true);
    expect(offer(h('a'), { autoApprove: true }).status).toBe('rejected');
    expect(statusOf(h('a'))).toBe('rejected');
  });

  it('approves a clean version left pending once its upstream becomes autoApprove', () => {
    offer(h('a'));
    expect(offer(h('a'), { autoApprove: true })).toMatchObject({ status: 'approved', autoApproved: true });
    expect(statusOf(h('a'))).toBe('approved');
  });

  it('without a hash decides the single pending version and refuses when there are several', () => {
    offer(h('a'));
    offer(h('b'));
    expect(() => decide('approved')).toThrow(/2 pending versions/);
    expect(decide('approved', 'bbbbbbbb').before.hash).toBe(h('b'));
    expect(decide('approved').before.hash).toBe(h('a'));
    // Both approved now: approving again (the version offered last) is a no-op, rejecting needs a hash.
    expect(decide('approved').changed).toBe(false);
    expect(() => decide('rejected')).toThrow(/no pending version/);
  });

  it('names versions by an unambiguous hash prefix of at least 8 characters', () => {
    offer(`${'c'.repeat(10)}${'1'.repeat(54)}`);
    offer(`${'c'.repeat(10)}${'2'.repeat(54)}`);
    expect(() => decide('approved', 'cccc')).toThrow(/8-64 hex/);
    expect(() => decide('approved', 'cccccccc')).toThrow(/matches 2 versions/);
    expect(() => decide('approved', 'dddddddd')).toThrow(/no version/);
    expect(decide('approved', 'cccccccccc2').changed).toBe(true);
  });

  it('can withdraw an approval by rejecting the approved version, and reports a repeated decision as no change', () => {
    offer(h('a'));
    decide('approved');
    expect(decide('approved', h('a')).changed).toBe(false);
    expect(decide('rejected', h('a'))).toMatchObject({ changed: true, before: { status: 'approved' } });
    expect(statusOf(h('a'))).toBe('rejected');
  });

  it('refuses a decision about a tool nobody has seen', () => {
    expect(() => decideToolVersion(store, 'gh__nope', { status: 'approved', by: 't', now: 1 })).toThrow(/No tool "gh__nope"/);
  });

  it('sees decisions made through another connection after a reload (the CLI writing while the gateway runs)', () => {
    offer(h('a'));
    const cli = StateStore.open(join(dir, 'state.db'));
    decideToolVersion(cli, 'gh__create_issue', { status: 'approved', by: 'cli', now: 5 });
    cli.close();
    expect(cache.version('gh', 'create_issue', h('a'))?.status).toBe('pending');
    cache.reload();
    expect(cache.version('gh', 'create_issue', h('a'))?.status).toBe('approved');
  });

  it('offers with the stored decision even when its view is stale', () => {
    offer(h('a'));
    decide('rejected');
    // No reload in between: the offer reads the row it touched.
    expect(offer(h('a')).status).toBe('rejected');
    expect(cache.version('gh', 'create_issue', h('a'))?.status).toBe('rejected');
  });
});

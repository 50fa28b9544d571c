import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NamespaceOwners } from './namespace-owners.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-owners-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('NamespaceOwners', () => {
  it('keeps ownership across a restart, in a file only the gateway user may read', async () => {
    const file = join(dir, 'openapi-namespaces.json');
    const first = new NamespaceOwners(file);
    await first.load();
    first.claim('billing', '/imports/billing.yaml');
    await first.flush();
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const again = new NamespaceOwners(file);
    await again.load();
    expect(again.owner('billing')).toBe('/imports/billing.yaml');
  });

  it('starts empty when the file is missing', async () => {
    const owners = new NamespaceOwners(join(dir, 'missing.json'));
    await owners.load();
    expect(owners.owner('billing')).toBeUndefined();
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryAudit } from '../../test/helpers/memory-audit.js';
import { Egress } from '../egress/egress.js';
import type { ToolRegistry } from '../mcp/registry/tool-registry.js';
import { OpenApiImports } from './openapi-imports.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('OpenApiImports.watch', () => {
  it('rescans a missing imports folder on one timer, not one more per rescan', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'warden-imports-'));
    dirs.push(dir);
    const egress = new Egress();
    const imports = new OpenApiImports({
      dir: join(dir, 'not-there'),
      registry: {} as ToolRegistry,
      egress,
      audit: new MemoryAudit(),
      log: pino({ level: 'silent' }),
      reservedIds: new Set(),
      rescanIntervalMs: 20,
    });
    const sync = vi.spyOn(imports, 'sync').mockResolvedValue(undefined);
    imports.watch();
    await new Promise((r) => setTimeout(r, 300));
    await imports.close();
    await egress.close();
    // About 15 rescans in 300 ms; a timer added per rescan would have made thousands.
    expect(sync.mock.calls.length).toBeGreaterThan(3);
    expect(sync.mock.calls.length).toBeLessThanOrEqual(20);
  });
});

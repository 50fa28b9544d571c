import { describe, expect, it } from 'vitest';
import { UpstreamManager } from '../../src/mcp/upstream/index.js';
import { clientInfo, FIXTURES, log, upstreamConfig } from '../fixtures/mcp-upstreams/setup.js';

describe('UpstreamManager', () => {
  it('starts upstreams in parallel; a failing or silent one neither blocks nor delays the others beyond its connect timeout', async () => {
    const manager = new UpstreamManager(
      [
        upstreamConfig({ id: 'good', transport: 'stdio', command: process.execPath, args: [`${FIXTURES}misbehaving-stdio.mjs`] }),
        upstreamConfig({ id: 'missing', transport: 'stdio', command: '/nonexistent/mcp-server', restart: { initialDelayMs: 60_000 } }),
        // Accepts the process but never answers anything: bounded by connectMs.
        upstreamConfig({ id: 'silent', transport: 'stdio', command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], timeouts: { connectMs: 300 }, restart: { initialDelayMs: 60_000 } }),
      ],
      { log, clientInfo },
    );
    try {
      const t0 = performance.now();
      const report = await manager.startAll();
      expect(performance.now() - t0).toBeLessThan(3000);
      expect(report.ready).toEqual(['good']);
      expect(report.failed.map((f) => f.id).sort()).toEqual(['missing', 'silent']);
      expect(report.failed.find((f) => f.id === 'missing')?.code).toBe('UPSTREAM_UNAVAILABLE');
      expect(manager.get('good')?.state).toBe('ready');
      expect(manager.get('missing')?.state).toBe('failed');
      expect(manager.get('nope')).toBeUndefined();
    } finally {
      await manager.closeAll();
    }
    expect(manager.all().map((c) => c.state)).toEqual(['closed', 'closed', 'closed']);
  });
});

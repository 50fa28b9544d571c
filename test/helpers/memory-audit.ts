import type { AuditEventInput, AuditSink } from '../../src/audit/record.js';
import { GatewayError } from '../../src/errors/gateway-error.js';

/** An in-memory AuditSink for unit tests of the chain and policies (integration tests use the real store). */
export class MemoryAudit implements AuditSink {
  records: AuditEventInput[] = [];
  isHealthy = true;
  failAppends = false;

  async append(event: AuditEventInput): Promise<number> {
    if (this.failAppends) throw new GatewayError('AUDIT_UNAVAILABLE', 'audit down');
    this.records.push(event);
    return this.records.length;
  }
  healthy(): boolean {
    return this.isHealthy;
  }
  problem(): string | null {
    return this.isHealthy ? null : 'test: unhealthy';
  }
  async flush(): Promise<void> {}
  async close(): Promise<void> {}
}

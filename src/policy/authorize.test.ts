import { describe, expect, it } from 'vitest';
import { makeContext } from '../../test/helpers/context.js';
import type { Principal } from '../pipeline/context.js';
import { createAuthorizePolicy } from './authorize.js';

const agent = { kind: 'agent', agentId: 'a', keyId: 'k', agent: {} } as unknown as Principal;
const admin: Principal = { kind: 'admin', tokenId: 'admin' };

describe('authorize policy', () => {
  it.each([
    { name: 'agent on an agent surface', channel: 'gateway' as const, principal: agent, expected: 'allow' },
    { name: 'admin on the admin surface', channel: 'admin' as const, principal: admin, expected: 'allow' },
    { name: 'agent on the admin surface', channel: 'admin' as const, principal: agent, expected: 'FORBIDDEN' },
    { name: 'admin on an agent surface', channel: 'gateway' as const, principal: admin, expected: 'FORBIDDEN' },
    { name: 'no principal', channel: 'gateway' as const, principal: null, expected: 'UNAUTHENTICATED' },
  ])('$name → $expected', async ({ channel, principal, expected }) => {
    const d = await createAuthorizePolicy().request!(makeContext({ channel, principal }));
    expect(d.kind === 'allow' ? 'allow' : d.error.code).toBe(expected);
  });
});

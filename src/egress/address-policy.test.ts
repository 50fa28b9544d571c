import { describe, expect, it } from 'vitest';
import { checkAddress, classifyAddress, type AddressKind } from './address-policy.js';

const TABLE: Array<[ip: string, kind: AddressKind, range: string]> = [
  // IPv4
  ['8.8.8.8', 'public', ''],
  ['1.1.1.1', 'public', ''],
  ['127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['127.255.255.254', 'loopback', '127.0.0.0/8'],
  ['10.0.0.1', 'private', '10.0.0.0/8'],
  ['10.255.255.255', 'private', '10.0.0.0/8'],
  ['172.16.0.1', 'private', '172.16.0.0/12'],
  ['172.31.255.255', 'private', '172.16.0.0/12'],
  ['172.32.0.1', 'public', ''],
  ['172.15.255.255', 'public', ''],
  ['192.168.1.1', 'private', '192.168.0.0/16'],
  ['100.64.0.1', 'private', '100.64.0.0/10'],
  ['100.127.255.255', 'private', '100.64.0.0/10'],
  ['100.128.0.1', 'public', ''],
  ['169.254.0.1', 'link-local', '169.254.0.0/16'],
  ['169.254.169.254', 'metadata', '169.254.169.254/32'],
  ['0.0.0.0', 'unspecified', '0.0.0.0/8'],
  ['0.1.2.3', 'unspecified', '0.0.0.0/8'],
  ['224.0.0.1', 'multicast', '224.0.0.0/4'],
  ['239.255.255.250', 'multicast', '224.0.0.0/4'],
  ['255.255.255.255', 'broadcast', '255.255.255.255/32'],
  ['240.0.0.1', 'reserved', '240.0.0.0/4'],
  ['192.0.2.10', 'reserved', '192.0.2.0/24'],
  ['198.18.0.1', 'reserved', '198.18.0.0/15'],
  ['203.0.113.5', 'reserved', '203.0.113.0/24'],
  // IPv6
  ['2606:4700:4700::1111', 'public', ''],
  ['2a00:1450:4001:80b::200e', 'public', ''],
  ['::1', 'loopback', '::1/128'],
  ['0:0:0:0:0:0:0:1', 'loopback', '::1/128'],
  ['::', 'unspecified', '::/128'],
  ['fe80::1', 'link-local', 'fe80::/10'],
  ['fe80::1%eth0', 'link-local', 'fe80::/10'],
  ['febf::1', 'link-local', 'fe80::/10'],
  ['fc00::1', 'private', 'fc00::/7'],
  ['fd12:3456::1', 'private', 'fc00::/7'],
  ['fec0::1', 'private', 'fec0::/10'],
  ['fd00:ec2::254', 'metadata', 'fd00:ec2::254/128'],
  ['ff02::1', 'multicast', 'ff00::/8'],
  ['2001:db8::1', 'reserved', '2001:db8::/32'],
  ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'reserved', '2001::/23'],
  ['100::1', 'reserved', '100::/64'],
  ['4000::1', 'reserved', 'outside 2000::/3'],
  // IPv6 carrying IPv4: judged by the IPv4 address
  ['::ffff:127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['::ffff:7f00:1', 'loopback', '127.0.0.0/8'],
  ['::FFFF:169.254.169.254', 'metadata', '169.254.169.254/32'],
  ['::ffff:10.0.0.1', 'private', '10.0.0.0/8'],
  ['::ffff:8.8.8.8', 'public', ''],
  ['::127.0.0.1', 'loopback', '127.0.0.0/8'],
  ['::8.8.8.8', 'reserved', '::/96'],
  ['::ffff:0:10.1.2.3', 'private', '10.0.0.0/8'],
  ['::ffff:0:8.8.8.8', 'reserved', '::ffff:0:0/96'],
  ['64:ff9b::10.0.0.1', 'private', '10.0.0.0/8'],
  ['64:ff9b::a9fe:a9fe', 'metadata', '169.254.169.254/32'],
  ['64:ff9b::8.8.8.8', 'public', ''],
  ['64:ff9b:1::8.8.8.8', 'private', '64:ff9b:1::/48'],
  ['64:ff9b:1::7f00:1', 'loopback', '127.0.0.0/8'],
  ['2002:7f00:1::', 'loopback', '127.0.0.0/8'],
  ['2002:a9fe:a9fe::1', 'metadata', '169.254.169.254/32'],
  ['2002:0808:0808::1', 'public', ''],
  // not an address at all
  ['localhost', 'unspecified', 'not an IP address'],
  ['', 'unspecified', 'not an IP address'],
];

describe('classifyAddress', () => {
  it.each(TABLE)('%s is %s (%s)', (ip, kind, range) => {
    expect(classifyAddress(ip)).toEqual({ kind, range });
  });
});

describe('checkAddress', () => {
  const INTERNAL_ONLY: AddressKind[] = ['loopback', 'private', 'link-local', 'metadata', 'reserved'];
  const NEVER: AddressKind[] = ['unspecified', 'multicast', 'broadcast'];

  it.each(TABLE)('%s: public always, internal-only kinds only when internal, the rest never', (ip, kind) => {
    const plain = checkAddress(ip, false).allowed;
    const internal = checkAddress(ip, true).allowed;
    if (kind === 'public') expect([plain, internal]).toEqual([true, true]);
    else if (INTERNAL_ONLY.includes(kind)) expect([plain, internal]).toEqual([false, true]);
    else {
      expect(NEVER).toContain(kind);
      expect([plain, internal]).toEqual([false, false]);
    }
  });

  it('names the class it judged by', () => {
    expect(checkAddress('::ffff:10.1.2.3', false)).toEqual({ allowed: false, class: { kind: 'private', range: '10.0.0.0/8' } });
  });
});

/**
 * Which IP addresses the gateway may connect to. An upstream's hostname is resolved by the
 * gateway, so whoever controls its DNS (or a spec's server URL, or a redirect) could point it
 * at the gateway's own machine, the cloud metadata service or the private network; every
 * address is classified here before a connection is made (threat model B5/B6).
 *
 * IPv6 forms that carry an IPv4 address (v4-mapped, v4-compatible, SIIT, NAT64, 6to4) are
 * classified by that IPv4 address, so `::ffff:127.0.0.1` is loopback, not "public IPv6".
 */
import { isIP } from 'node:net';

export type AddressKind =
  | 'public'
  /** 127/8, ::1 */
  | 'loopback'
  /** 10/8, 172.16/12, 192.168/16, 100.64/10 (CGNAT), fc00::/7, fec0::/10 */
  | 'private'
  /** 169.254/16, fe80::/10 */
  | 'link-local'
  /** Cloud instance metadata (169.254.169.254, fd00:ec2::254): credentials live there. */
  | 'metadata'
  /** Documentation, benchmarking, IETF and future-use blocks: nothing legitimate is there. */
  | 'reserved'
  /** 0.0.0.0/8, :: (Linux connects 0.0.0.0 to the local host), and anything that is not an IP */
  | 'unspecified'
  | 'multicast'
  | 'broadcast';

export interface AddressClass {
  kind: AddressKind;
  /** The block that matched, e.g. `10.0.0.0/8`; `''` for public addresses. */
  range: string;
}

/** Kinds an upstream configured as `internal: true` may reach; the others never. */
const INTERNAL_ONLY: ReadonlySet<AddressKind> = new Set(['loopback', 'private', 'link-local', 'metadata', 'reserved']);

export type AddressVerdict = { allowed: true; class: AddressClass } | { allowed: false; class: AddressClass };

/** Whether a connection to `ip` may be made for an upstream that is (or is not) internal. */
export function checkAddress(ip: string, internal: boolean): AddressVerdict {
  const c = classifyAddress(ip);
  const allowed = c.kind === 'public' || (internal && INTERNAL_ONLY.has(c.kind));
  return { allowed, class: c };
}

/** "a loopback address (127.0.0.0/8)", "an unspecified address (0.0.0.0/8)": for messages. */
export function describeClass(c: AddressClass): string {
  return `${c.kind === 'unspecified' ? 'an' : 'a'} ${c.kind} address${c.range ? ` (${c.range})` : ''}`;
}

/** Whether an upstream configured as internal could ever reach this kind. */
export function internalMayReach(kind: AddressKind): boolean {
  return kind === 'public' || INTERNAL_ONLY.has(kind);
}

type V4Rule = readonly [base: number, bits: number, kind: AddressKind, range: string];

/** Most specific first: the first match wins. */
const V4_RULES: readonly V4Rule[] = [
  [v4('255.255.255.255'), 32, 'broadcast', '255.255.255.255/32'],
  [v4('169.254.169.254'), 32, 'metadata', '169.254.169.254/32'],
  [v4('0.0.0.0'), 8, 'unspecified', '0.0.0.0/8'],
  [v4('10.0.0.0'), 8, 'private', '10.0.0.0/8'],
  [v4('100.64.0.0'), 10, 'private', '100.64.0.0/10'],
  [v4('127.0.0.0'), 8, 'loopback', '127.0.0.0/8'],
  [v4('169.254.0.0'), 16, 'link-local', '169.254.0.0/16'],
  [v4('172.16.0.0'), 12, 'private', '172.16.0.0/12'],
  [v4('192.0.0.0'), 24, 'reserved', '192.0.0.0/24'],
  [v4('192.0.2.0'), 24, 'reserved', '192.0.2.0/24'],
  [v4('192.88.99.0'), 24, 'reserved', '192.88.99.0/24'],
  [v4('192.168.0.0'), 16, 'private', '192.168.0.0/16'],
  [v4('198.18.0.0'), 15, 'reserved', '198.18.0.0/15'],
  [v4('198.51.100.0'), 24, 'reserved', '198.51.100.0/24'],
  [v4('203.0.113.0'), 24, 'reserved', '203.0.113.0/24'],
  [v4('224.0.0.0'), 4, 'multicast', '224.0.0.0/4'],
  [v4('240.0.0.0'), 4, 'reserved', '240.0.0.0/4'],
];

const PUBLIC: AddressClass = { kind: 'public', range: '' };

/** Classifies an IPv4 or IPv6 address (zone ids allowed). Anything that is not an IP is `unspecified` (never allowed). */
export function classifyAddress(ip: string): AddressClass {
  const zone = ip.indexOf('%');
  const bare = zone === -1 ? ip : ip.slice(0, zone);
  const family = isIP(bare);
  if (family === 4) return classifyV4(v4(bare));
  if (family === 6) return classifyV6(v6Words(bare));
  return { kind: 'unspecified', range: 'not an IP address' };
}

function classifyV4(n: number): AddressClass {
  for (const [base, bits, kind, range] of V4_RULES) {
    if (prefixMatchV4(n, base, bits)) return { kind, range };
  }
  return PUBLIC;
}

function classifyV6(w: readonly number[]): AddressClass {
  const low32 = ((w[6]! << 16) | w[7]!) >>> 0;
  if (zeros(w, 0, 8)) return { kind: 'unspecified', range: '::/128' };
  if (zeros(w, 0, 7) && w[7] === 1) return { kind: 'loopback', range: '::1/128' };
  // ::ffff:a.b.c.d (v4-mapped): the kernel connects to the IPv4 address itself.
  if (zeros(w, 0, 5) && w[5] === 0xffff) return classifyV4(low32);
  // ::a.b.c.d (deprecated v4-compatible) and ::ffff:0:a.b.c.d (SIIT): never public.
  if (zeros(w, 0, 6)) return atLeast(classifyV4(low32), 'reserved', '::/96');
  if (zeros(w, 0, 4) && w[4] === 0xffff && w[5] === 0) return atLeast(classifyV4(low32), 'reserved', '::ffff:0:0/96');
  // NAT64, well-known prefix: reaches the IPv4 address through a translator.
  if (w[0] === 0x64 && w[1] === 0xff9b && zeros(w, 2, 6)) return classifyV4(low32);
  // Local-use NAT64 (RFC 8215): a translator inside the operator's own network.
  if (w[0] === 0x64 && w[1] === 0xff9b && w[2] === 1) return atLeast(classifyV4(low32), 'private', '64:ff9b:1::/48');
  // 6to4: 2002:AABB:CCDD::/48 tunnels to A.B.C.D.
  if (w[0] === 0x2002) return classifyV4(((w[1]! << 16) | w[2]!) >>> 0);
  if (w[0] === 0xfd00 && w[1] === 0x0ec2 && zeros(w, 2, 7) && w[7] === 0x254) return { kind: 'metadata', range: 'fd00:ec2::254/128' };
  const top = w[0]!;
  if (top >= 0xff00) return { kind: 'multicast', range: 'ff00::/8' };
  if ((top & 0xfe00) === 0xfc00) return { kind: 'private', range: 'fc00::/7' };
  if ((top & 0xffc0) === 0xfe80) return { kind: 'link-local', range: 'fe80::/10' };
  if ((top & 0xffc0) === 0xfec0) return { kind: 'private', range: 'fec0::/10' };
  if (top === 0x0100 && zeros(w, 1, 4)) return { kind: 'reserved', range: '100::/64' };
  if (top === 0x2001 && w[1] === 0x0db8) return { kind: 'reserved', range: '2001:db8::/32' };
  // 2001::/23: IETF protocol assignments, Teredo (2001::/32, which hides an IPv4 address) included.
  if (top === 0x2001 && w[1]! < 0x0200) return { kind: 'reserved', range: '2001::/23' };
  // Only 2000::/3 is allocated for global unicast.
  if ((top & 0xe000) !== 0x2000) return { kind: 'reserved', range: 'outside 2000::/3' };
  return PUBLIC;
}

/** An embedded IPv4 address that would be public is still reported as `kind` (its carrier is not public). */
function atLeast(c: AddressClass, kind: AddressKind, range: string): AddressClass {
  return c.kind === 'public' ? { kind, range } : c;
}

function zeros(w: readonly number[], from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (w[i] !== 0) return false;
  return true;
}

function prefixMatchV4(n: number, base: number, bits: number): boolean {
  if (bits === 0) return true;
  const mask = bits === 32 ? 0xffffffff : ~(0xffffffff >>> bits) >>> 0;
  return ((n & mask) >>> 0) === ((base & mask) >>> 0);
}

/** Dotted quad to an unsigned 32-bit number (input already validated). */
function v4(s: string): number {
  const p = s.split('.');
  return ((Number(p[0]) << 24) | (Number(p[1]) << 16) | (Number(p[2]) << 8) | Number(p[3])) >>> 0;
}

/** A valid IPv6 address (possibly with a dotted IPv4 tail and `::`) as eight 16-bit words. */
function v6Words(s: string): number[] {
  let text = s.toLowerCase();
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    // The dotted tail is two groups: rewrite it so one parser handles every form.
    const n = v4(text.slice(lastColon + 1));
    text = `${text.slice(0, lastColon + 1)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const gap = text.indexOf('::');
  if (gap === -1) return parse(text);
  const left = parse(text.slice(0, gap));
  const right = parse(text.slice(gap + 2));
  return [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/**
 * IP addresses and ranges for the egress rule (see `egress.ts`): parsing IPv4 and IPv6 text to
 * numbers, CIDR ranges, and which addresses are internal: loopback, private (RFC 1918, IPv6
 * ULA), link-local, unspecified, shared (CGNAT), multicast and reserved ones, and the IPv6 forms
 * that carry an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, NAT64, 6to4), judged by that address.
 *
 * @module
 */
import { isIPv4, isIPv6 } from 'node:net';

export interface Ip {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr extends Ip {
  bits: number;
}

/** Parses an address (IPv6 with or without brackets; a `%zone` is dropped), or undefined. */
export function parseIp(text: string): Ip | undefined {
  let t = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  const zone = t.indexOf('%');
  if (zone >= 0) t = t.slice(0, zone);
  if (isIPv4(t)) return { family: 4, value: v4(t) };
  if (!isIPv6(t)) return undefined;
  let tail: bigint[] = [];
  if (t.includes('.')) {
    // A trailing dotted quad (`::ffff:1.2.3.4`) is the last two groups.
    const lastColon = t.lastIndexOf(':');
    const n = v4(t.slice(lastColon + 1));
    tail = [n >> 16n, n & 0xffffn];
    t = t.slice(0, lastColon + 1);
    if (!t.endsWith('::')) t = t.slice(0, -1);
  }
  const [head = '', rest] = t.split('::');
  const groups = (s: string | undefined): bigint[] => (s ? s.split(':').filter((g) => g !== '').map((g) => BigInt(parseInt(g, 16))) : []);
  const left = groups(head);
  const right = [...groups(rest), ...tail];
  const fill = rest === undefined ? [] : Array<bigint>(8 - left.length - right.length).fill(0n);
  const all = [...left, ...fill, ...right];
  if (all.length !== 8) return undefined;
  return { family: 6, value: all.reduce((acc, g) => (acc << 16n) | g, 0n) };
}

function v4(t: string): bigint {
  return t.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number(part)), 0n);
}

/** Parses `ADDRESS/BITS` or a single address (all bits), or undefined. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!ip) return undefined;
  const max = ip.family === 4 ? 32 : 128;
  const bitsText = slash < 0 ? String(max) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText) || Number(bitsText) > max) return undefined;
  const bits = Number(bitsText);
  return { ...ip, value: ip.value & mask(ip.family, bits), bits };
}

function mask(family: 4 | 6, bits: number): bigint {
  const width = family === 4 ? 32n : 128n;
  return ((1n << width) - 1n) ^ ((1n << (width - BigInt(bits))) - 1n);
}

export function inCidr(ip: Ip, range: Cidr): boolean {
  return ip.family === range.family && (ip.value & mask(range.family, range.bits)) === range.value;
}

/** An IPv6 address carrying an IPv4 one (mapped, NAT64 well-known prefix, 6to4) as that IPv4 address. */
export function unwrap(ip: Ip): Ip {
  if (ip.family === 4) return ip;
  const low32 = ip.value & 0xffffffffn;
  if (ip.value >> 32n === 0xffffn) return { family: 4, value: low32 }; // ::ffff:a.b.c.d
  if (ip.value >> 32n === 0x0064ff9b0000000000000000n) return { family: 4, value: low32 }; // 64:ff9b::a.b.c.d
  if (ip.value >> 112n === 0x2002n) return { family: 4, value: (ip.value >> 80n) & 0xffffffffn }; // 2002:aabb:ccdd::
  return ip;
}

const ranges = (list: [string, string][]): [Cidr, string][] => list.map(([cidr, why]) => [parseCidr(cidr) as Cidr, why]);

/** Internal destinations, with the word the refusal uses. */
const internal = ranges([
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared (CGNAT)'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'reserved'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'reserved'], // IPv4-compatible (deprecated)
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'],
  ['ff00::/8', 'multicast'],
]);

/** Why an address is internal (`loopback`, `private`, …), or undefined for a public one. */
export function internalKind(address: Ip): string | undefined {
  const ip = unwrap(address);
  for (const [range, why] of internal) if (inCidr(ip, range)) return why;
  return undefined;
}

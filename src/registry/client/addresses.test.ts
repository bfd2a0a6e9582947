import { describe, expect, it } from 'vitest';
import { inCidr, internalKind, parseCidr, parseIp } from './addresses.js';

const kind = (address: string): string | undefined => {
  const ip = parseIp(address);
  if (!ip) throw new Error(`${address} did not parse`);
  return internalKind(ip);
};

describe('internal addresses', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fc00::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['100.127.255.255', 'shared (CGNAT)'],
    ['224.0.0.251', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    // IPv6 forms that carry an IPv4 address are judged by it.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['::127.0.0.1', 'reserved'],
  ])('%s is %s', (address, expected) => {
    expect(kind(address)).toBe(expected);
  });

  it.each(['8.8.8.8', '172.32.0.1', '100.128.0.1', '192.169.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '1:2:3:4:5:6:7:8'])('%s is public', (address) => {
    expect(kind(address)).toBeUndefined();
  });

  it('parses CIDR ranges and single addresses; refuses the rest', () => {
    const range = parseCidr('10.0.0.0/8');
    expect(range).toMatchObject({ family: 4, bits: 8 });
    expect(inCidr(parseIp('10.200.1.1') as never, range as never)).toBe(true);
    expect(inCidr(parseIp('11.0.0.1') as never, range as never)).toBe(false);
    expect(parseCidr('127.0.0.1')).toMatchObject({ bits: 32 });
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, bits: 8 });
    for (const bad of ['10.0.0.0/33', '10.0.0/8', 'fd00::/129', 'host/8', '1::2::3', '']) expect(parseCidr(bad)).toBeUndefined();
  });
});

/**
 * The network of a run of test hosts: a Linux bridge with the first address of a private /24
 * that nothing on this machine uses, and per host a network namespace joined to it by a veth
 * pair (the namespace side is `eth0`), with its own address and a default route via the bridge.
 *
 * The host's dockerd sets the FORWARD policy to DROP and br_netfilter sends bridged frames through
 * it, so host-to-host traffic needs one ACCEPT rule for frames staying on the bridge; a second rule
 * drops anything the namespaces would send beyond the bridge, so traffic stays on the bridge, the
 * bridge address and the machine's own addresses whatever the machine's policy. Both carry the
 * run's comment and are removed with it (hosts-sweep.ts).
 */
import { sh } from './images.js';
import type { RunNames } from './hosts-names.js';

/** The IPv4 networks (address, prefix length) in `text` (output of `ip -4 addr` / `ip -4 route`). */
function networks(text: string): Array<[number, number]> {
  return [...text.matchAll(/\b(\d+)\.(\d+)\.(\d+)\.(\d+)(?:\/(\d+))?\b/g)].map((m) => [
    ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0,
    Number(m[5] ?? 32),
  ]);
}

function overlaps([a, alen]: [number, number], [b, blen]: [number, number]): boolean {
  const len = Math.min(alen, blen);
  if (len === 0) return true;
  const mask = (~0 << (32 - len)) >>> 0;
  return ((a & mask) >>> 0) === ((b & mask) >>> 0);
}

/** A third octet X such that 10.231.X.0/24 overlaps no address or route of this machine. */
export async function freeSubnet(): Promise<number> {
  const taken = networks((await sh('ip', ['-4', '-o', 'addr', 'show'])) + (await sh('ip', ['-4', 'route', 'show', 'table', 'all'])));
  const candidates = Array.from({ length: 256 }, (_, x) => x).sort(() => Math.random() - 0.5);
  for (const x of candidates) {
    const net: [number, number] = [((10 << 24) | (231 << 16) | (x << 8)) >>> 0, 24];
    if (!taken.some((t) => t[1] > 0 && overlaps(t, net))) return x;
  }
  throw new Error('no free /24 in 10.231.0.0/16 for test hosts');
}

export function address(x: number, host: number): string {
  return `10.231.${x}.${host}`;
}

/** Creates the bridge with address 10.231.X.1/24, up, and the two FORWARD rules. */
export async function createBridge(names: RunNames, x: number): Promise<void> {
  await sh('ip', ['link', 'add', 'name', names.bridge, 'type', 'bridge']);
  await sh('ip', ['addr', 'add', `${address(x, 1)}/24`, 'dev', names.bridge]);
  await sh('ip', ['link', 'set', names.bridge, 'up']);
  const tag = ['-m', 'comment', '--comment', names.tag];
  await sh('iptables', ['-I', 'FORWARD', '1', '-i', names.bridge, '-o', names.bridge, ...tag, '-j', 'ACCEPT']);
  await sh('iptables', ['-I', 'FORWARD', '2', '-i', names.bridge, '!', '-o', names.bridge, ...tag, '-j', 'DROP']);
}

/** Creates host `n`'s namespace, its veth on the bridge and address 10.231.X.(n+1), loopback up. */
export async function createHostNetwork(names: RunNames, x: number, n: number): Promise<string> {
  const ns = names.netns(n);
  const ip = address(x, n + 1);
  await sh('ip', ['netns', 'add', ns]);
  await sh('ip', ['link', 'add', names.veth(n), 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
  await sh('ip', ['link', 'set', names.veth(n), 'master', names.bridge, 'up']);
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  await sh('ip', ['-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0']);
  await sh('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
  await sh('ip', ['-n', ns, 'route', 'add', 'default', 'via', address(x, 1)]);
  return ip;
}

/** Sets host `n`'s bridge-side veth down or up: down cuts its link as a pulled cable would. */
export async function setLink(names: RunNames, n: number, state: 'up' | 'down'): Promise<void> {
  await sh('ip', ['link', 'set', names.veth(n), state]);
}

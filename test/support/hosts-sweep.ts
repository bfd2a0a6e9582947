/**
 * Tearing down a run of test hosts, synchronously so it also works from a process `exit` hook:
 * everything is found by the run's names (see hosts-names.ts), so the same code removes a live
 * run at the end of a test and a crashed run's leftovers found later. Order matters: processes
 * first (everything in the run's namespaces — dockerd, containerd, shims, docker-proxy, spawned
 * agents — and everything in its containers' cgroups), then cgroups, the sockets killed
 * containerd shims leave in /run/containerd/s, mounts under the run's folder, links, namespaces,
 * firewall rules, the folder.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { ownerAlive, runIdPattern, runNames, type RunNames } from './hosts-names.js';

const netnsDir = '/var/run/netns';
const cgroupRoot = '/sys/fs/cgroup';
const shimSocketDir = '/run/containerd/s';

function run(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function list(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function runNetns(names: RunNames): string[] {
  return list(netnsDir).filter((n) => n.startsWith(`${names.tag}-`));
}

/** The cgroup folders of the run's containers, in every hierarchy (cgroup v1 has one per controller). */
function runCgroups(names: RunNames): string[] {
  const found: string[] = [];
  for (const hierarchy of list(cgroupRoot)) {
    for (const entry of list(join(cgroupRoot, hierarchy))) if (entry.startsWith(`${names.tag}-`)) found.push(join(cgroupRoot, hierarchy, entry));
  }
  return found;
}

/** Folders under `dir` (itself included), deepest first. */
function foldersDeepestFirst(dir: string): string[] {
  let entries: Dirent[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    // gone already
  }
  return [...entries.filter((e) => e.isDirectory()).flatMap((e) => foldersDeepestFirst(join(dir, e.name))), dir];
}

function runPids(names: RunNames): number[] {
  const pids = new Set<number>();
  for (const ns of runNetns(names)) for (const p of run('ip', ['netns', 'pids', ns]).split('\n')) if (p.trim()) pids.add(Number(p));
  for (const cg of runCgroups(names)) {
    for (const folder of foldersDeepestFirst(cg)) {
      const procs = existsSync(join(folder, 'cgroup.procs')) ? readFileSync(join(folder, 'cgroup.procs'), 'utf8') : '';
      for (const p of procs.split('\n')) if (p.trim()) pids.add(Number(p));
    }
  }
  pids.delete(process.pid);
  return [...pids];
}

function killAll(names: RunNames): void {
  for (let round = 0; round < 50; round++) {
    const pids = runPids(names);
    if (pids.length === 0) return;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    sleepSync(100);
  }
}

function removeCgroups(names: RunNames): void {
  for (const cg of runCgroups(names)) {
    for (const folder of foldersDeepestFirst(cg)) {
      for (let attempt = 0; attempt < 20; attempt++) {
        try {
          rmdirSync(folder);
          break;
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
          sleepSync(50);
        }
      }
    }
  }
}

/** Mount points at or under `dir` (dockerd's overlays, shm and network-namespace mounts), deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((line) => line.split(' ')[4] ?? '')
    .map((p) => p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))))
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** The FORWARD rules carrying the run's comment, as `iptables -S` prints them. */
export function firewallRules(tag?: string): string[] {
  return run('iptables', ['-S', 'FORWARD'])
    .split('\n')
    .filter((line) => (tag ? new RegExp(`--comment "?${tag}"?( |$)`).test(line) : /--comment "?slwh-[0-9a-f]{4}"?( |$)/.test(line)));
}

/**
 * The sockets the containerd shims of the run's containers made under /run/containerd/s (shared
 * with the machine's containerd): named by the SHA-256 of `<containerd address>/<namespace>/<id>`
 * (containerd 1.6's shim.SocketAddress). A shim removes its own when it ends normally; one killed
 * leaves it.
 */
function shimSockets(names: RunNames): string[] {
  return list(names.dir)
    .filter((h) => /^h\d+$/.test(h))
    .flatMap((h) => {
      const n = Number(h.slice(1));
      const address = join(names.hostDir(n), 'x', 'containerd', 'containerd.sock');
      return list(join(names.hostDir(n), 'data', 'containers')).map((id) => `${shimSocketDir}/${createHash('sha256').update(`${address}/${names.netns(n)}/${id}`).digest('hex')}`);
    })
    .filter((socket) => existsSync(socket));
}

/** Removes everything of run `id` that exists; safe to call more than once. */
export function sweepRun(id: string): void {
  const names = runNames(id);
  killAll(names);
  removeCgroups(names);
  for (const socket of shimSockets(names)) rmSync(socket, { force: true });
  for (const point of mountsUnder(names.dir)) run('umount', ['-l', point]);
  for (const link of linkNames().filter((l) => l === names.bridge || l.startsWith(`slwv${id}-`))) run('ip', ['link', 'del', link]);
  for (const ns of runNetns(names)) run('ip', ['netns', 'del', ns]);
  for (const rule of firewallRules(names.tag)) run('iptables', ['-D', ...rule.replace(/^-A /, '').replace(/"/g, '').split(' ')]);
  rmSync(names.dir, { recursive: true, force: true });
}

export function linkNames(): string[] {
  return run('ip', ['-o', 'link', 'show'])
    .split('\n')
    .map((line) => /^\d+: ([^:@]+)/.exec(line)?.[1] ?? '')
    .filter(Boolean);
}

/** Whether `pid` runs (a zombie, dead but not yet reaped by its parent, does not count). */
export function processRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** What of run `id` is still on this machine, one line each (empty when nothing is). */
export function leftoversOf(id: string): string[] {
  const names = runNames(id);
  return [
    ...(existsSync(names.dir) ? [`folder ${names.dir}`] : []),
    ...runNetns(names).map((ns) => `namespace ${ns}`),
    ...linkNames()
      .filter((l) => l === names.bridge || l.startsWith(`slwv${id}-`))
      .map((l) => `link ${l}`),
    ...runCgroups(names).map((c) => `cgroup ${c}`),
    ...mountsUnder(names.dir).map((m) => `mount ${m}`),
    ...shimSockets(names).map((s) => `shim socket ${s}`),
    ...firewallRules(names.tag).map((r) => `rule ${r}`),
    ...runPids(names).map((p) => `process ${p}`),
  ];
}

/** Run ids that have something on this machine: a folder, bridge, veth, namespace, cgroup or firewall rule. */
export function leftoverRunIds(): string[] {
  const ids = new Set<string>();
  const add = (m: RegExpExecArray | null): void => {
    if (m?.[1] && runIdPattern.test(m[1])) ids.add(m[1]);
  };
  for (const e of list('/tmp')) add(/^slwh-([0-9a-f]{4})$/.exec(e));
  for (const e of list(netnsDir)) add(/^slwh-([0-9a-f]{4})-/.exec(e));
  for (const l of linkNames()) add(/^slw(?:br|v)([0-9a-f]{4})/.exec(l));
  for (const h of list(cgroupRoot)) for (const e of list(join(cgroupRoot, h))) add(/^slwh-([0-9a-f]{4})-/.exec(e));
  for (const r of firewallRules()) add(/--comment "?slwh-([0-9a-f]{4})/.exec(r));
  return [...ids];
}

/** Removes the leftovers of every run whose owner process is gone (a crashed or killed test); returns their ids. */
export function sweepTestHosts(): string[] {
  const dead = leftoverRunIds().filter((id) => !ownerAlive(runNames(id)));
  for (const id of dead) sweepRun(id);
  return dead;
}

const live = new Set<string>();
let hooked = false;

/** Sweeps the process's live runs when it exits or is told to stop, whatever the test did. */
export function trackRun(id: string): void {
  live.add(id);
  if (hooked) return;
  hooked = true;
  const sweepLive = (): void => {
    for (const run of live) sweepRun(run);
    live.clear();
  };
  process.on('exit', sweepLive);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      sweepLive();
      // Nobody else listens: end the way the signal would have.
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    });
  }
}

export function untrackRun(id: string): void {
  live.delete(id);
}

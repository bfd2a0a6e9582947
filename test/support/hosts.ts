/**
 * Test hosts: "servers" on one machine for multi-server tests and benches. Each host is a network
 * namespace on a bridge of its own run, with its own address and its own Docker engine; the bridge
 * address is where the machine (the control plane) answers them. Only loopback and these addresses
 * are ever used. Needs root.
 *
 *   const world = await createTestHosts({ count: 2 });
 *   try { … world.hosts[0].docker(['run', …]) … } finally { await world.destroy(); }
 *
 * Leftovers never outlive the test: `destroy()` removes everything, exit and signal hooks do the
 * same if the test ends without it, and the next createTestHosts sweeps what a killed process left
 * (see hosts-sweep.ts; names in hosts-names.ts).
 */
import { spawn as spawnChild, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { startEngine, stopEngine, type Engine } from './hosts-dockerd.js';
import { runNames, writeOwner, type RunNames } from './hosts-names.js';
import { address, createBridge, createHostNetwork, freeSubnet, setLink } from './hosts-net.js';
import { sweepRun, sweepTestHosts, trackRun, untrackRun } from './hosts-sweep.js';
import { sh } from './images.js';

export interface TestHost {
  /** `<prefix><n>`, e.g. host1. */
  name: string;
  /** Path of its network namespace, /var/run/netns/NAME. */
  netns: string;
  /** Its address on the bridge. */
  address: string;
  /** Its engine, `unix:///…`, and the pid of its dockerd. */
  dockerHost: string;
  enginePid: number;
  /** A folder of its own (its engine's data is under it; an agent's data dir can go there too). */
  dir: string;
  /** Runs the docker CLI against its engine (its own CLI config); resolves with stdout. */
  docker(args: string[], input?: string): Promise<string>;
  /** Runs a command in its namespace; resolves with stdout, fails with stderr. */
  exec(cmd: string, args: string[], options?: { input?: string; timeoutMs?: number }): Promise<string>;
  /** Starts a long-running command in its namespace; it is killed by destroy() if still running. */
  spawn(cmd: string, args: string[], options?: SpawnOptions): ChildProcess;
  /** Cuts its link (its veth on the bridge goes down) / restores it. */
  linkDown(): Promise<void>;
  linkUp(): Promise<void>;
  /** Copies an image into its engine: a `docker save` tar file, or an image of the machine's engine. */
  loadImage(image: string): Promise<void>;
}

export interface TestHosts {
  runId: string;
  bridge: string;
  /** The machine's address on the bridge (hosts reach the control plane there). */
  bridgeAddress: string;
  hosts: TestHost[];
  /** Milliseconds taken: the network, the engines (in parallel), the whole. */
  timings: { networkMs: number; enginesMs: number; totalMs: number };
  destroy(): Promise<void>;
}

export interface TestHostsOptions {
  count: number;
  /** Host names are `<prefix><n>`; default `host`. */
  prefix?: string;
}

function newRun(): RunNames {
  for (;;) {
    const names = runNames(randomBytes(2).toString('hex'));
    if (existsSync(names.dir)) continue;
    mkdirSync(names.dir, { recursive: true });
    writeOwner(names);
    return names;
  }
}

/** Pipes `docker save image` from the machine's engine into `docker -H host load`. */
function saveLoad(image: string, dockerHost: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const save = spawnChild('docker', ['save', image], { stdio: ['ignore', 'pipe', 'pipe'] });
    const load = spawnChild('docker', ['-H', dockerHost, 'load'], { stdio: ['pipe', 'ignore', 'pipe'] });
    let errors = '';
    save.stderr?.on('data', (d: Buffer) => (errors += d));
    load.stderr?.on('data', (d: Buffer) => (errors += d));
    save.stdout?.pipe(load.stdin!);
    let pending = 2;
    let failed = false;
    const done = (code: number | null): void => {
      failed ||= code !== 0;
      if (--pending === 0) (failed ? reject(new Error(`loading ${image} into ${dockerHost} failed: ${errors}`)) : resolve());
    };
    save.on('close', done);
    load.on('close', done);
  });
}

function makeHost(names: RunNames, n: number, name: string, ip: string, engine: Engine, spawned: Set<ChildProcess>): TestHost {
  const netns = `/var/run/netns/${names.netns(n)}`;
  const dir = names.hostDir(n);
  const docker = (args: string[], input?: string): Promise<string> => sh('docker', ['--config', `${dir}/cli`, '-H', engine.dockerHost, ...args], { input, timeoutMs: 180_000 });
  return {
    name,
    netns,
    address: ip,
    dockerHost: engine.dockerHost,
    enginePid: engine.pid,
    dir,
    docker,
    exec: (cmd, args, options = {}) => sh('nsenter', [`--net=${netns}`, '--', cmd, ...args], options),
    spawn(cmd, args, options = {}) {
      const child = spawnChild('nsenter', [`--net=${netns}`, '--', cmd, ...args], options);
      spawned.add(child);
      child.once('exit', () => spawned.delete(child));
      return child;
    },
    linkDown: () => setLink(names, n, 'down'),
    linkUp: () => setLink(names, n, 'up'),
    async loadImage(image) {
      if (existsSync(image)) await docker(['load', '-i', image]);
      else await saveLoad(image, engine.dockerHost);
    },
  };
}

/** Removes every container of the engine (SIGKILL), then stops it; the sweep does the rest. */
async function stopHost(host: TestHost, engine: Engine): Promise<void> {
  const ids = (await host.docker(['ps', '-aq']).catch(() => '')).split('\n').filter(Boolean);
  if (ids.length > 0) await host.docker(['rm', '-f', '-v', ...ids]).catch(() => undefined);
  await stopEngine(engine);
}

/** Makes `count` hosts on a new bridge, each with its engine answering. */
export async function createTestHosts(options: TestHostsOptions): Promise<TestHosts> {
  if (!Number.isInteger(options.count) || options.count < 1 || options.count > 250) throw new Error(`count must be 1 to 250, not ${options.count}`);
  const started = Date.now();
  sweepTestHosts();
  const names = newRun();
  trackRun(names.id);
  const spawned = new Set<ChildProcess>();
  const engines: Engine[] = [];
  const hosts: TestHost[] = [];
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const child of spawned) child.kill('SIGKILL');
    await Promise.all(hosts.map((h, i) => stopHost(h, engines[i]!)));
    sweepRun(names.id);
    untrackRun(names.id);
  };
  try {
    const x = await freeSubnet();
    await createBridge(names, x);
    const ips: string[] = [];
    for (let n = 1; n <= options.count; n++) ips.push(await createHostNetwork(names, x, n));
    const networkDone = Date.now();
    const made = await Promise.allSettled(
      ips.map((_, i) => startEngine({ netns: `/var/run/netns/${names.netns(i + 1)}`, dir: names.hostDir(i + 1), bip: `10.232.${i + 1}.1/24`, name: names.netns(i + 1) })),
    );
    for (const m of made) if (m.status === 'rejected') throw m.reason;
    for (const [i, m] of made.entries()) {
      if (m.status !== 'fulfilled') continue;
      engines.push(m.value);
      hosts.push(makeHost(names, i + 1, `${options.prefix ?? 'host'}${i + 1}`, ips[i]!, m.value, spawned));
    }
    const done = Date.now();
    return {
      runId: names.id,
      bridge: names.bridge,
      bridgeAddress: address(x, 1),
      hosts,
      timings: { networkMs: networkDone - started, enginesMs: done - networkDone, totalMs: done - started },
      destroy,
    };
  } catch (error) {
    sweepRun(names.id);
    untrackRun(names.id);
    throw error;
  }
}

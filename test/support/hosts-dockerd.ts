/**
 * A Docker engine per test host: `dockerd` started in the host's network namespace with
 * `nsenter --net=…` (`ip netns exec` remounts /sys, hides the cgroup mounts, and dockerd refuses
 * to start), sharing the machine's filesystem and cgroups with the machine's own dockerd, so
 * everything that could collide is its own: data root, exec root (its containerd's socket and
 * state live there: dockerd starts a containerd of its own when /run/containerd has none), pid
 * file, API socket, config file (the machine's /etc/docker/daemon.json is not read), default
 * bridge subnet, containers' cgroup parent and containerd namespaces. Its iptables rules land in
 * the namespace, not on the machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';

export interface Engine {
  pid: number;
  socket: string;
  dockerHost: string;
  log: string;
  process: ChildProcess;
}

export interface EngineOptions {
  /** Path of the namespace, /var/run/netns/NAME. */
  netns: string;
  /** The host's folder: data, exec root, socket, log. */
  dir: string;
  /** The engine's default bridge, e.g. 10.232.1.1/24. */
  bip: string;
  /** Containers' cgroup parent and containerd namespace. */
  name: string;
}

function ping(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath: socket, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/** Starts the engine and waits until its API answers (it fails with the log's tail if dockerd ends first). */
export async function startEngine(o: EngineOptions, timeoutMs = 60_000): Promise<Engine> {
  mkdirSync(o.dir, { recursive: true });
  const socket = join(o.dir, 'docker.sock');
  const log = join(o.dir, 'dockerd.log');
  const config = join(o.dir, 'daemon.json');
  writeFileSync(config, '{}\n');
  const args = [
    `--net=${o.netns}`,
    '--',
    'dockerd',
    '--config-file', config,
    '--data-root', join(o.dir, 'data'),
    '--exec-root', join(o.dir, 'x'),
    '--pidfile', join(o.dir, 'docker.pid'),
    '-H', `unix://${socket}`,
    '--bip', o.bip,
    '--cgroup-parent', `/${o.name}`,
    '--containerd-namespace', o.name,
    '--containerd-plugins-namespace', `${o.name}-plugins`,
  ];
  const fd = openSync(log, 'a');
  // Its own process group: a Ctrl-C to the test's group must not stop it before the teardown does.
  const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', fd, fd], cwd: o.dir });
  closeSync(fd);
  child.unref();
  let exited = false;
  child.once('exit', () => (exited = true));
  const until = Date.now() + timeoutMs;
  while (!(await ping(socket))) {
    if (exited || Date.now() > until) {
      const tail = readFileSync(log, 'utf8').split('\n').slice(-15).join('\n');
      throw new Error(`dockerd in ${o.netns} ${exited ? 'ended' : `did not answer within ${timeoutMs} ms`}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { pid: child.pid ?? 0, socket, dockerHost: `unix://${socket}`, log, process: child };
}

/**
 * Asks dockerd to stop (SIGTERM) and waits for it to end, up to `timeoutMs`; the sweep kills
 * whatever is left. dockerd 20.10 logs "Daemon shutdown complete" and then lingers a second in a
 * gRPC reconnect to the containerd it has just stopped: once that line is there, it is killed.
 */
export async function stopEngine(engine: Engine, timeoutMs = 15_000): Promise<void> {
  const child = engine.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  let ended = false;
  child.once('exit', () => (ended = true));
  const from = statSync(engine.log).size;
  child.kill('SIGTERM');
  const until = Date.now() + timeoutMs;
  while (!ended && Date.now() < until) {
    if (readFileSync(engine.log).subarray(from).includes('Daemon shutdown complete')) {
      child.kill('SIGKILL');
      break;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

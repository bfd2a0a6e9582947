/**
 * A target that runs workloads inside this process: each replica of a serving image is a real
 * HTTP server on a loopback port, so the engine, the edge and the contract suite exercise real
 * sockets without a container engine. Images are behaviours, named `memory/<kind>`:
 *
 * - `memory/serve`: answers every request 200 with `$GREETING` (default `hello`) and a newline;
 * - `memory/idle`: runs, holds a port, never answers (never ready);
 * - `memory/exit`: prints `$OUTPUT` and exits with `$EXIT_CODE` (default 0) after `$RUN_MS` ms;
 * - any other image: cannot be pulled (the replica or job fails).
 *
 * The last path segment of the image names the behaviour (`memory/acme/serve@sha256:…` serves),
 * and `$MEMORY_KIND` in the env overrides it, so that a config change can make a release of the
 * same image behave otherwise (engine tests).
 *
 * State lives in memory only: a new instance of this target starts empty.
 *
 * @module
 */
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import type { JobSpec, JobStatus, OutputLine, ReplicaStatus, Target, VolumeAccess, WorkloadSpec, WorkloadStatus } from '../../deploy/target.js';

interface Instance {
  name: string;
  index: number;
  state: ReplicaStatus['state'];
  address: string | null;
  exitCode: number | null;
  message: string | null;
  output: OutputLine[];
  server: Server | TcpServer | null;
  timer: NodeJS.Timeout | null;
}

interface Workload {
  spec: WorkloadSpec;
  instances: Map<number, Instance>;
  removing: boolean;
}

interface Job {
  spec: JobSpec;
  instance: Instance;
  state: JobStatus['state'];
  startedAt: string | null;
  finishedAt: string | null;
  deadline: NodeJS.Timeout | null;
}

export interface MemoryTargetOptions {
  name?: string;
  /** How long an instance stays `pending` before it runs (a pull and a start). @default 20 */
  startDelayMs?: number;
}

type Kind = 'serve' | 'idle' | 'exit';
const kinds = new Set<string>(['serve', 'idle', 'exit']);

const kindOf = (image: string, env: Record<string, string> = {}): Kind | null => {
  const m = /^memory\/(?:[^@:]*\/)?([a-z]+)(?:[:@].*)?$/.exec(image);
  if (!m) return null;
  const kind = env.MEMORY_KIND ?? m[1]!;
  return kinds.has(kind) ? (kind as Kind) : null;
};

export class MemoryTarget implements Target {
  readonly name: string;
  readonly rollsOutItself = false;
  readonly #startDelayMs: number;
  readonly #workloads = new Map<string, Workload>();
  readonly #jobs = new Map<string, Job>();
  readonly #volumes = new Set<string>();
  /** A volume's contents as the tar last imported into it (an empty tar when none was). */
  readonly #volumeFiles = new Map<string, Buffer>();

  constructor(options: MemoryTargetOptions = {}) {
    this.name = options.name ?? 'memory';
    this.#startDelayMs = options.startDelayMs ?? 20;
  }

  /** Volume names that exist (for tests). */
  volumes(): string[] {
    return [...this.#volumes].sort();
  }

  async apply(spec: WorkloadSpec): Promise<void> {
    let w = this.#workloads.get(spec.name);
    if (!w || w.removing) {
      w = { spec, instances: new Map(), removing: false };
      this.#workloads.set(spec.name, w);
    }
    w.spec = spec;
    for (const v of spec.volumes) this.#volumes.add(v.volume);
    for (let i = 1; i <= spec.replicas; i += 1) {
      if (!w.instances.has(i)) w.instances.set(i, this.#launch(`${spec.name}-${i}`, i, spec.image, spec.env, spec.port));
    }
    for (const [i, instance] of w.instances) {
      if (i > spec.replicas) {
        this.#stop(instance);
        w.instances.delete(i);
      }
    }
  }

  async observe(name: string): Promise<WorkloadStatus | null> {
    const w = this.#workloads.get(name);
    if (!w) return null;
    return {
      name,
      labels: { ...w.spec.labels },
      replicas: w.removing ? 0 : w.spec.replicas,
      instances: [...w.instances.values()].sort((a, b) => a.index - b.index).map((i) => this.#status(i, w.spec)),
    };
  }

  async list(labels: Record<string, string>): Promise<WorkloadStatus[]> {
    const out: WorkloadStatus[] = [];
    for (const [name, w] of this.#workloads) {
      if (Object.entries(labels).every(([k, v]) => w.spec.labels[k] === v)) out.push((await this.observe(name))!);
    }
    return out;
  }

  async remove(name: string): Promise<void> {
    const w = this.#workloads.get(name);
    if (!w) return;
    w.removing = true;
    for (const i of w.instances.values()) i.state = 'stopping';
    // Removal takes a moment, like a graceful stop does.
    setTimeout(() => {
      if (this.#workloads.get(name) !== w) return;
      for (const i of w.instances.values()) this.#stop(i);
      this.#workloads.delete(name);
    }, this.#startDelayMs);
  }

  async logs(name: string, lines: number): Promise<OutputLine[]> {
    return this.#instancesOf(name).flatMap((i) => i.output.slice(-lines));
  }

  async *follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<OutputLine> {
    const seen = new Map<Instance, number>();
    for (const i of this.#instancesOf(name)) {
      yield* i.output.slice(-tail);
      seen.set(i, i.output.length);
    }
    while (!signal.aborted) {
      const instances = this.#instancesOf(name);
      if (instances.length === 0) return;
      for (const i of instances) {
        const from = seen.get(i) ?? 0;
        yield* i.output.slice(from);
        seen.set(i, i.output.length);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async runJob(spec: JobSpec): Promise<void> {
    if (this.#jobs.has(spec.name)) return;
    for (const v of spec.volumes) this.#volumes.add(v.volume);
    const instance = this.#launch(spec.name, 1, spec.image, spec.env, null);
    const job: Job = { spec, instance, state: 'pending', startedAt: null, finishedAt: null, deadline: null };
    this.#jobs.set(spec.name, job);
    job.deadline = setTimeout(() => {
      if (instance.state !== 'running' && instance.state !== 'pending') return;
      this.#stop(instance);
      instance.state = 'exited';
      instance.exitCode = 137;
      instance.message = `timed out after ${spec.timeoutSeconds}s`;
    }, spec.timeoutSeconds * 1000);
  }

  async job(name: string): Promise<JobStatus | null> {
    const job = this.#jobs.get(name);
    if (!job) return null;
    const i = job.instance;
    const now = new Date().toISOString();
    if (i.state === 'running' || i.state === 'exited' || i.state === 'failed') job.startedAt ??= now;
    if (i.state === 'exited' || i.state === 'failed') {
      job.finishedAt ??= now;
      if (job.deadline) clearTimeout(job.deadline);
    }
    const state: JobStatus['state'] = i.state === 'pending' ? 'pending' : i.state === 'running' ? 'running' : i.state === 'exited' && i.exitCode === 0 ? 'succeeded' : 'failed';
    return { name, labels: { ...job.spec.labels }, state, exitCode: i.exitCode, message: state === 'failed' ? (i.message ?? `exited with code ${i.exitCode}`) : null, startedAt: job.startedAt, finishedAt: job.finishedAt };
  }

  async removeJob(name: string): Promise<void> {
    const job = this.#jobs.get(name);
    if (!job) return;
    if (job.deadline) clearTimeout(job.deadline);
    this.#stop(job.instance);
    this.#jobs.delete(name);
  }

  async removeVolume(name: string): Promise<void> {
    this.#volumes.delete(name);
    this.#volumeFiles.delete(name);
  }

  async *exportVolume(access: VolumeAccess): AsyncIterable<Uint8Array> {
    if (!kindOf(access.image)) throw new Error(`image ${access.image} cannot be pulled`);
    this.#volumes.add(access.volume);
    // Two end-of-archive blocks: an empty tar.
    yield this.#volumeFiles.get(access.volume) ?? Buffer.alloc(1024);
  }

  async importVolume(access: VolumeAccess, tar: AsyncIterable<Uint8Array>): Promise<void> {
    if (!kindOf(access.image)) throw new Error(`image ${access.image} cannot be pulled`);
    const chunks: Buffer[] = [];
    for await (const chunk of tar) chunks.push(Buffer.from(chunk));
    this.#volumes.add(access.volume);
    this.#volumeFiles.set(access.volume, Buffer.concat(chunks));
  }

  /** Stops everything (for test teardown). */
  async close(): Promise<void> {
    for (const name of [...this.#workloads.keys()]) for (const i of this.#workloads.get(name)!.instances.values()) this.#stop(i);
    this.#workloads.clear();
    for (const name of [...this.#jobs.keys()]) await this.removeJob(name);
  }

  #instancesOf(name: string): Instance[] {
    const w = this.#workloads.get(name);
    if (w) return [...w.instances.values()];
    const job = this.#jobs.get(name);
    return job ? [job.instance] : [];
  }

  #status(i: Instance, spec: WorkloadSpec): ReplicaStatus {
    const serving = i.state === 'running' && kindOf(spec.image, spec.env) === 'serve';
    const ready = i.state === 'running' && (spec.health.type === 'none' || (serving && spec.health.type !== 'image'));
    const message = i.message ?? (i.state === 'running' && !ready ? (spec.health.type === 'image' ? 'the image has no health check' : 'no answer yet') : null);
    return { name: i.name, index: i.index, state: spec.health.type === 'image' && i.state === 'running' ? 'failed' : i.state, ready, address: i.address, exitCode: i.exitCode, message };
  }

  #launch(name: string, index: number, image: string, env: Record<string, string>, port: number | null): Instance {
    const i: Instance = { name, index, state: 'pending', address: null, exitCode: null, message: null, output: [], server: null, timer: null };
    const kind = kindOf(image, env);
    i.timer = setTimeout(() => {
      i.timer = null;
      if (i.state !== 'pending') return;
      if (kind === null) {
        i.state = 'failed';
        i.message = `image ${image} not found`;
        return;
      }
      if (kind === 'exit') {
        i.state = 'running';
        i.timer = setTimeout(() => {
          i.timer = null;
          if (i.state !== 'running') return;
          for (const line of (env.OUTPUT ?? '').split('\n').filter(Boolean)) i.output.push({ source: name, stream: 'stdout', line });
          i.state = 'exited';
          i.exitCode = Number(env.EXIT_CODE ?? 0);
          if (i.exitCode !== 0) i.message = `exited with code ${i.exitCode}`;
        }, Number(env.RUN_MS ?? 0));
        return;
      }
      const server =
        kind === 'serve'
          ? createServer((_req, res) => {
              res.setHeader('content-type', 'text/plain');
              res.end(`${env.GREETING ?? 'hello'}\n`);
            })
          : createTcpServer(() => undefined);
      i.server = server;
      server.listen(0, '127.0.0.1', () => {
        if (i.state !== 'pending') return server.close();
        const address = server.address();
        i.address = port !== null && typeof address === 'object' && address ? `127.0.0.1:${address.port}` : null;
        i.state = 'running';
        i.output.push({ source: name, stream: 'stdout', line: `${kind} on ${i.address ?? 'no port'}` });
      });
    }, this.#startDelayMs);
    return i;
  }

  #stop(i: Instance): void {
    if (i.timer) clearTimeout(i.timer);
    i.timer = null;
    if (i.server) {
      const server = i.server;
      if ('closeAllConnections' in server) server.closeAllConnections();
      server.close();
    }
    i.server = null;
    if (i.state === 'pending' || i.state === 'running' || i.state === 'stopping') {
      i.state = 'exited';
      i.exitCode = i.exitCode ?? 0;
    }
  }
}

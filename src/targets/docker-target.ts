/**
 * The target on a Docker engine (the local one by default, named `local`).
 *
 * A workload's replicas are containers `<workload>-<i>`, labelled with the workload, the replica
 * index, the port and the health check (docker/workload-labels.ts), publishing the app's port on
 * 127.0.0.1 only (a random host port), with memory and CPU limits when set and restart policy
 * `unless-stopped`. Config and secrets travel in the create request's body only.
 *
 * `apply` and `remove` record what is wanted and return; one converging loop per workload does
 * the engine calls (pull once per image, create, start, stop, remove) under a concurrency limit,
 * again whenever what is wanted changes meanwhile. `observe` reads the engine (one list call per
 * workload) and probes readiness from this host against each container's own address, so it
 * works the same after a restart of the control plane, when the loops' memory is gone.
 *
 * @module
 */
import type { JobSpec, JobStatus, OutputLine, ReplicaStatus, RunSpec, Target, VolumeAccess, WorkloadSpec, WorkloadStatus } from '../deploy/target.js';
import { Limit, merge } from '../platform/limit.js';
import { ContainerExistsError, DockerEngine, type ContainerSpec, type ContainerSummary } from './docker/index.js';
import { probeHttp, probeTcp } from './docker/probe.js';
import { HEALTH, JOB, PORT, REPLICA, TIMEOUT, WORKLOAD, healthLabel, healthOfLabel, publicLabels, replicaState } from './docker/workload-labels.js';

export interface DockerTargetOptions {
  /** @default 'local' */
  name?: string;
  engine?: DockerEngine;
  /** Engine operations (pull, create, start, stop, remove) at once. @default 6, enough to keep two cores busy without starving the API */
  concurrency?: number;
  /** @default 1000 */
  probeTimeoutMs?: number;
}

interface Wanted {
  spec: WorkloadSpec | null;
  graceSeconds: number;
}

interface Loop {
  wanted: Wanted;
  dirty: boolean;
  running: Promise<void> | null;
  /** Why the last convergence failed (the image cannot be pulled, the engine refused the spec). */
  error: string | null;
}

const reason = (error: unknown) => (error instanceof Error ? error.message : String(error));

export class DockerTarget implements Target {
  readonly name: string;
  readonly rollsOutItself = false;
  readonly engine: DockerEngine;
  readonly #limit: Limit;
  readonly #probeTimeoutMs: number;
  readonly #loops = new Map<string, Loop>();
  readonly #jobErrors = new Map<string, string>();
  readonly #jobStarts = new Map<string, Promise<void>>();
  readonly #pulls = new Map<string, Promise<void>>();
  readonly #imageHealth = new Map<string, boolean>();

  constructor(options: DockerTargetOptions = {}) {
    this.name = options.name ?? 'local';
    this.engine = options.engine ?? new DockerEngine();
    this.#limit = new Limit(options.concurrency ?? 6);
    this.#probeTimeoutMs = options.probeTimeoutMs ?? 1000;
  }

  async apply(spec: WorkloadSpec): Promise<void> {
    this.#want(spec.name, { spec, graceSeconds: 10 });
  }

  async remove(name: string, graceSeconds: number): Promise<void> {
    this.#want(name, { spec: null, graceSeconds });
  }

  async observe(name: string): Promise<WorkloadStatus | null> {
    const containers = await this.engine.listContainers({ labels: { [WORKLOAD]: name }, all: true });
    return this.#status(name, containers);
  }

  async list(labels: Record<string, string>): Promise<WorkloadStatus[]> {
    const containers = await this.engine.listContainers({ labels, all: true });
    const byWorkload = new Map<string, ContainerSummary[]>();
    for (const c of containers) {
      const w = c.labels[WORKLOAD];
      if (w) byWorkload.set(w, [...(byWorkload.get(w) ?? []), c]);
    }
    const out: WorkloadStatus[] = [];
    for (const [name, cs] of byWorkload) {
      const s = await this.#status(name, cs);
      if (s) out.push(s);
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  }

  async logs(name: string, lines: number): Promise<OutputLine[]> {
    const out: OutputLine[] = [];
    for (const c of await this.#containersOf(name)) {
      const source = c.names[0] ?? c.id;
      for await (const entry of this.engine.logs(c.id, { follow: false, tail: lines })) out.push({ source, stream: entry.stream, line: entry.line });
    }
    return out;
  }

  async *follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<OutputLine> {
    const engine = this.engine;
    const sources = (await this.#containersOf(name)).map((c) =>
      (async function* () {
        const source = c.names[0] ?? c.id;
        for await (const entry of engine.logs(c.id, { follow: true, tail }, signal)) yield { source, stream: entry.stream, line: entry.line } satisfies OutputLine;
      })(),
    );
    yield* merge(sources);
  }

  async runJob(spec: JobSpec): Promise<void> {
    if (this.#jobStarts.has(spec.name)) return;
    const start = this.#startJob(spec)
      .catch((error: unknown) => void this.#jobErrors.set(spec.name, reason(error)))
      .finally(() => this.#jobStarts.delete(spec.name));
    this.#jobStarts.set(spec.name, start);
  }

  async job(name: string): Promise<JobStatus | null> {
    const c = await this.engine.inspectContainer(name);
    const error = this.#jobErrors.get(name);
    if (!c || !c.labels[JOB]) {
      if (error) return { name, labels: {}, state: 'failed', exitCode: null, message: error, startedAt: null, finishedAt: null };
      return this.#jobStarts.has(name) ? { name, labels: {}, state: 'pending', exitCode: null, message: null, startedAt: null, finishedAt: null } : null;
    }
    const labels = publicLabels(c.labels);
    const timeout = Number(c.labels[TIMEOUT] ?? 0);
    const { startedAt, finishedAt } = c.state;
    const base = { name, labels, startedAt, finishedAt };
    if (c.state.running) {
      // The target enforces the timeout: judged from the engine's own start time, so it holds across restarts.
      if (timeout > 0 && startedAt && Date.now() - Date.parse(startedAt) > timeout * 1000) {
        await this.#limit.run(() => this.engine.stopContainer(name, 0)).catch(() => undefined);
      }
      return { ...base, state: 'running', exitCode: null, message: null };
    }
    if (c.state.status === 'created') {
      // Made but not started: still starting, or its start failed (an entrypoint that is not in
      // the image); the engine keeps the reason, this process may too.
      const failed = c.state.error || error;
      if (failed) return { ...base, state: 'failed', exitCode: null, message: failed };
      // Made by a process that stopped before starting it (a control plane killed between the
      // two): unknown to this one, so the runner asks for it again and `runJob` starts it.
      if (!this.#jobStarts.has(name)) return null;
      return { ...base, state: 'pending', exitCode: null, message: null };
    }
    const ranFor = startedAt && finishedAt ? Date.parse(finishedAt) - Date.parse(startedAt) : 0;
    const timedOut = timeout > 0 && ranFor >= timeout * 1000 && c.state.exitCode !== 0;
    const ok = c.state.exitCode === 0;
    return { ...base, state: ok ? 'succeeded' : 'failed', exitCode: c.state.exitCode, message: ok ? null : timedOut ? `timed out after ${timeout}s` : `exited with code ${c.state.exitCode}` };
  }

  async removeJob(name: string): Promise<void> {
    await this.#jobStarts.get(name);
    this.#jobErrors.delete(name);
    await this.#limit.run(() => this.engine.removeContainer(name, { force: true }));
  }

  async removeVolume(name: string): Promise<void> {
    await this.#limit.run(() => this.engine.removeVolume(name));
  }

  async removeNetwork(name: string): Promise<void> {
    await this.#limit.run(() => this.engine.removeNetwork(name));
  }

  async *exportVolume(access: VolumeAccess): AsyncIterable<Uint8Array> {
    const id = await this.#transferContainer(access, true);
    try {
      yield* this.engine.readArchive(id, access.path);
    } finally {
      await this.engine.removeContainer(id, { force: true }).catch(() => undefined);
    }
  }

  async importVolume(access: VolumeAccess, tar: AsyncIterable<Uint8Array>): Promise<void> {
    if (access.labels) await this.#limit.run(() => this.engine.ensureVolume(access.volume, access.labels ?? {}));
    const id = await this.#transferContainer(access, false);
    try {
      await this.engine.writeArchive(id, access.path, tar);
    } finally {
      await this.engine.removeContainer(id, { force: true }).catch(() => undefined);
    }
  }

  /**
   * A container made from the image with the volume at its path and never started: the engine's
   * archive calls read and write the volume through it (a new volume takes the image's directory
   * there at create, as it would for a replica). Its entrypoint is a path no image has.
   */
  async #transferContainer(access: VolumeAccess, readOnly: boolean): Promise<string> {
    await this.#ensureImage(access);
    // One left by a transfer that stopped midway (a control plane killed) goes first.
    await this.engine.removeContainer(access.name, { force: true }).catch(() => undefined);
    const labels = { 'io.slipway.managed': 'true', 'io.slipway.volume-transfer': access.volume };
    return this.#limit.run(() => this.engine.createContainer(access.name, { image: access.image, env: {}, labels, hostIp: '127.0.0.1', entrypoint: ['/.slipway-volume-transfer-never-runs'], mounts: [{ volume: access.volume, path: access.path, readOnly }] }));
  }

  /** Waits for every converging loop to finish (tests, shutdown). */
  async settle(): Promise<void> {
    await Promise.all([...this.#loops.values()].map((l) => l.running));
  }

  #want(name: string, wanted: Wanted): void {
    let loop = this.#loops.get(name);
    if (!loop) {
      loop = { wanted, dirty: false, running: null, error: null };
      this.#loops.set(name, loop);
    }
    loop.wanted = wanted;
    loop.dirty = true;
    loop.error = null;
    if (!loop.running) loop.running = this.#run(name, loop);
  }

  async #run(name: string, loop: Loop): Promise<void> {
    try {
      while (loop.dirty) {
        loop.dirty = false;
        try {
          await this.#converge(name, loop.wanted);
        } catch (error) {
          loop.error = reason(error);
        }
      }
    } finally {
      loop.running = null;
      if (loop.wanted.spec === null && loop.error === null && this.#loops.get(name) === loop) this.#loops.delete(name);
    }
  }

  async #converge(name: string, wanted: Wanted): Promise<void> {
    const existing = await this.engine.listContainers({ labels: { [WORKLOAD]: name }, all: true });
    const spec = wanted.spec;
    const surplus = existing.filter((c) => !spec || Number(c.labels[REPLICA]) > spec.replicas);
    if (spec) {
      await this.#ensureImage(spec);
      for (const network of spec.networks) await this.#limit.run(() => this.engine.ensureNetwork(network, { 'io.slipway.managed': 'true' }));
      await this.#ensureVolumes(spec);
      await Promise.all(
        Array.from({ length: spec.replicas }, (_, k) => k + 1).map(async (i) => {
          const c = existing.find((x) => Number(x.labels[REPLICA]) === i);
          if (!c) await this.#create(`${name}-${i}`, this.#containerSpec(spec, { [WORKLOAD]: name, [REPLICA]: String(i), [PORT]: String(spec.port ?? ''), [HEALTH]: healthLabel(spec.health) }, spec.port ?? undefined, 'unless-stopped'), spec.networks);
          else if (c.state === 'created' || c.state === 'exited') await this.#limit.run(() => this.engine.startContainer(c.id));
        }),
      );
    }
    await Promise.all(
      surplus.map((c) =>
        this.#limit.run(async () => {
          await this.engine.stopContainer(c.id, wanted.graceSeconds).catch(() => undefined);
          await this.engine.removeContainer(c.id, { force: true });
        }),
      ),
    );
  }

  /** Creates the labelled volumes a spec mounts that are missing (else the engine would make them unlabelled at create); existing ones are left as they are. */
  async #ensureVolumes(spec: RunSpec): Promise<void> {
    for (const v of spec.volumes) if (v.labels) await this.#limit.run(() => this.engine.ensureVolume(v.volume, v.labels ?? {}));
  }

  #containerSpec(spec: RunSpec, own: Record<string, string>, port: number | undefined, restartPolicy: 'unless-stopped' | 'no'): ContainerSpec {
    return {
      image: spec.image,
      env: spec.env,
      labels: { ...spec.labels, ...own },
      hostIp: '127.0.0.1',
      restartPolicy,
      ...(port !== undefined ? { containerPort: port } : {}),
      ...(spec.command ? { cmd: spec.command } : {}),
      ...(spec.entrypoint ? { entrypoint: spec.entrypoint } : {}),
      ...(spec.resources.memoryBytes !== null ? { memoryBytes: spec.resources.memoryBytes } : {}),
      ...(spec.resources.cpuMillis !== null ? { nanoCpus: spec.resources.cpuMillis * 1_000_000 } : {}),
      ...(spec.networks[0] ? { network: spec.networks[0] } : {}),
      ...(spec.volumes.length > 0 ? { mounts: spec.volumes.map((v) => ({ volume: v.volume, path: v.path, ...(v.readOnly ? { readOnly: true } : {}) })) } : {}),
    };
  }

  async #create(name: string, spec: ContainerSpec, networks: string[]): Promise<void> {
    await this.#limit.run(async () => {
      try {
        await this.engine.createContainer(name, spec);
      } catch (error) {
        // A container of this name from an earlier attempt is the one we want (names are deterministic).
        if (!(error instanceof ContainerExistsError)) throw error;
      }
      for (const network of networks.slice(1)) await this.engine.connectNetwork(network, name);
      await this.engine.startContainer(name);
    });
  }

  /** Pulls the image unless the engine has it; concurrent pulls of one image are one pull. */
  async #ensureImage(spec: Pick<RunSpec, 'image' | 'registryAuth'>): Promise<void> {
    if (await this.engine.imageExists(spec.image)) return;
    let pull = this.#pulls.get(spec.image);
    if (!pull) {
      const auth = spec.registryAuth ? { username: spec.registryAuth.username, password: spec.registryAuth.password, serveraddress: spec.registryAuth.registry } : undefined;
      pull = this.#limit
        .run(() => this.engine.pullImage(spec.image, auth))
        .then(() => undefined)
        .finally(() => this.#pulls.delete(spec.image));
      this.#pulls.set(spec.image, pull);
    }
    await pull;
  }

  async #startJob(spec: JobSpec): Promise<void> {
    const made = await this.engine.inspectContainer(spec.name);
    // One that runs or ran stays as it is (a job runs once); one made and never started is started.
    if (made && made.state.status !== 'created') return;
    await this.#ensureImage(spec);
    for (const network of spec.networks) await this.#limit.run(() => this.engine.ensureNetwork(network, { 'io.slipway.managed': 'true' }));
    await this.#ensureVolumes(spec);
    await this.#create(spec.name, this.#containerSpec(spec, { [JOB]: spec.name, [TIMEOUT]: String(spec.timeoutSeconds) }, undefined, 'no'), spec.networks);
  }

  async #containersOf(name: string): Promise<ContainerSummary[]> {
    const replicas = await this.engine.listContainers({ labels: { [WORKLOAD]: name }, all: true });
    if (replicas.length > 0) return replicas.sort((a, b) => Number(a.labels[REPLICA]) - Number(b.labels[REPLICA]));
    return this.engine.listContainers({ labels: { [JOB]: name }, all: true });
  }

  async #status(name: string, containers: ContainerSummary[]): Promise<WorkloadStatus | null> {
    const loop = this.#loops.get(name);
    const wanted = loop?.wanted.spec;
    if (containers.length === 0 && !wanted) return null;
    const removing = loop !== undefined && loop.wanted.spec === null;
    const instances = await Promise.all(containers.map((c) => this.#replica(c, removing)));
    if (wanted) {
      // Replicas asked for that the engine does not show yet: pending, or failed with the reason.
      for (let i = 1; i <= wanted.replicas; i += 1) {
        if (instances.some((r) => r.index === i)) continue;
        const failed = loop?.error ?? null;
        instances.push({ name: `${name}-${i}`, index: i, state: failed ? 'failed' : 'pending', ready: false, address: null, exitCode: null, message: failed });
      }
    }
    const labels = containers[0] ? publicLabels(containers[0].labels) : { ...(wanted?.labels ?? {}) };
    return { name, labels, replicas: removing ? 0 : (wanted?.replicas ?? containers.length), instances: instances.sort((a, b) => a.index - b.index) };
  }

  async #replica(c: ContainerSummary, removing: boolean): Promise<ReplicaStatus> {
    const index = Number(c.labels[REPLICA] ?? 0);
    const { state, exitCode } = replicaState(c);
    const base = { name: c.names[0] ?? c.id, index, exitCode };
    const port = Number(c.labels[PORT]) || null;
    const address = state === 'running' && c.hostPort ? `127.0.0.1:${c.hostPort}` : null;
    if (removing) return { ...base, state: 'stopping', ready: false, address, message: 'being removed' };
    if (state !== 'running') return { ...base, state, ready: false, address: null, message: state === 'exited' ? `the container exited${exitCode === null ? '' : ` with code ${exitCode}`}` : null };
    const health = healthOfLabel(c.labels[HEALTH]);
    let why: string | null = null;
    if (health.type === 'image') {
      if (!(await this.#hasHealthcheck(c.image))) return { ...base, state: 'failed', ready: false, address, message: 'the environment checks readiness with the image HEALTHCHECK, but the image has none; use --health http or tcp' };
      why = /\(healthy\)/.test(c.status) ? null : /\(unhealthy\)/.test(c.status) ? 'its HEALTHCHECK reports unhealthy' : 'HEALTHCHECK starting';
    } else if (health.type !== 'none') {
      const host = c.ip ?? '127.0.0.1';
      const probePort = c.ip ? port : c.hostPort;
      if (!probePort) why = 'no port to probe';
      else why = health.type === 'http' ? await probeHttp(host, probePort, health.path, this.#probeTimeoutMs) : await probeTcp(host, probePort, this.#probeTimeoutMs);
    }
    return { ...base, state, ready: why === null, address, message: why };
  }

  async #hasHealthcheck(image: string): Promise<boolean> {
    let known = this.#imageHealth.get(image);
    if (known === undefined) {
      known = (await this.engine.imageHealthcheck(image).catch(() => null)) !== null;
      this.#imageHealth.set(image, known);
    }
    return known;
  }
}

/**
 * The deploy target on the local Docker engine: replicas are containers named and labelled by
 * the engine (core/deploy.ts), publishing the app's port on 127.0.0.1 only (a random host port),
 * with memory and CPU limits when set and restart policy `unless-stopped`; logs stay with the
 * engine (json-file, rotated). Config and secrets travel in the create request's body only.
 *
 * @module
 */
import type { PullAuth, Replica, ReplicaSpec, Target } from '../deploy/target.js';
import { DockerEngine, type ContainerDetails } from './docker/index.js';

function toReplica(c: ContainerDetails): Replica {
  return {
    name: c.name,
    labels: c.labels,
    running: c.state.running,
    address: c.state.running && c.hostPort ? `127.0.0.1:${c.hostPort}` : null,
    health: c.state.health ?? null,
    exitCode: c.state.running ? null : c.state.exitCode,
  };
}

export class DockerTarget implements Target {
  constructor(private readonly engine = new DockerEngine()) {}

  async pull(image: string, auth: PullAuth, onProgress?: (line: string) => void): Promise<void> {
    if (await this.engine.imageExists(image)) return;
    await this.engine.pullImage(image, auth, onProgress ? (p) => onProgress(`${p.status}${p.progress ? ` ${p.progress}` : ''}`) : undefined);
  }

  async start(spec: ReplicaSpec): Promise<Replica> {
    let info = await this.engine.inspectContainer(spec.name);
    if (!info) {
      await this.engine.createContainer(spec.name, {
        image: spec.image,
        env: spec.env,
        labels: spec.labels,
        containerPort: spec.port,
        hostIp: '127.0.0.1',
        restartPolicy: 'unless-stopped',
        ...(spec.memoryBytes !== null ? { memoryBytes: spec.memoryBytes } : {}),
        ...(spec.nanoCpus !== null ? { nanoCpus: spec.nanoCpus } : {}),
      });
    }
    if (!info?.state.running) await this.engine.startContainer(spec.name);
    info = await this.engine.inspectContainer(spec.name);
    if (!info) throw new Error(`container ${spec.name} vanished right after it started`);
    return toReplica(info);
  }

  async inspect(name: string): Promise<Replica | null> {
    const info = await this.engine.inspectContainer(name);
    return info ? toReplica(info) : null;
  }

  async list(labels: Record<string, string>): Promise<Replica[]> {
    const out: Replica[] = [];
    for (const summary of await this.engine.listContainers({ labels, all: true })) {
      const info = await this.engine.inspectContainer(summary.id);
      if (info) out.push(toReplica(info));
    }
    return out;
  }

  stop(name: string, graceSeconds: number): Promise<void> {
    return this.engine.stopContainer(name, graceSeconds);
  }

  remove(name: string): Promise<void> {
    return this.engine.removeContainer(name, { force: true });
  }

  async logs(name: string, lines: number): Promise<string[]> {
    const out: string[] = [];
    for await (const entry of this.engine.logs(name, { follow: false, tail: lines })) out.push(entry.line);
    return out;
  }

  async *follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<{ stream: 'stdout' | 'stderr'; line: string }> {
    for await (const entry of this.engine.logs(name, { follow: true, tail }, signal)) yield { stream: entry.stream, line: entry.line };
  }

  async hasHealthcheck(image: string): Promise<boolean> {
    return (await this.engine.imageHealthcheck(image)) !== null;
  }
}

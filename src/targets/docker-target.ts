/**
 * The deploy target on the local Docker engine: replicas are containers named and labelled by
 * the engine (core/deploy.ts), publishing the app's port on 127.0.0.1 only (a random host port),
 * with memory and CPU limits when set and restart policy `unless-stopped`; logs stay with the
 * engine (json-file, rotated). Config and secrets travel in the create request's body only.
 *
 * @module
 */
import type { PullAuth, Replica, ReplicaSpec, Target } from '../deploy/target.js';
import { DockerApi, type ContainerInfo } from './docker-api.js';

function toReplica(c: ContainerInfo): Replica {
  return {
    name: c.name,
    labels: c.labels,
    running: c.state.running,
    address: c.state.running && c.hostPort ? `127.0.0.1:${c.hostPort}` : null,
    health: c.state.health,
    exitCode: c.state.exitCode,
  };
}

export class DockerTarget implements Target {
  constructor(private readonly docker = new DockerApi()) {}

  async pull(image: string, auth: PullAuth, onProgress?: (line: string) => void): Promise<void> {
    if (await this.docker.imageExists(image)) return;
    await this.docker.pull(image, auth, onProgress);
  }

  async start(spec: ReplicaSpec): Promise<Replica> {
    let info = await this.docker.inspect(spec.name);
    if (!info) {
      await this.docker.create(spec.name, {
        image: spec.image,
        env: spec.env,
        labels: spec.labels,
        containerPort: spec.port,
        ...(spec.memoryBytes !== null ? { memoryBytes: spec.memoryBytes } : {}),
        ...(spec.nanoCpus !== null ? { nanoCpus: spec.nanoCpus } : {}),
      });
    }
    if (!info?.state.running) await this.docker.start(spec.name);
    info = await this.docker.inspect(spec.name);
    if (!info) throw new Error(`container ${spec.name} vanished right after it started`);
    return toReplica(info);
  }

  async inspect(name: string): Promise<Replica | null> {
    const info = await this.docker.inspect(name);
    return info ? toReplica(info) : null;
  }

  async list(labels: Record<string, string>): Promise<Replica[]> {
    const out: Replica[] = [];
    for (const name of await this.docker.list(labels)) {
      const info = await this.docker.inspect(name);
      if (info) out.push(toReplica(info));
    }
    return out;
  }

  stop(name: string, graceSeconds: number): Promise<void> {
    return this.docker.stop(name, graceSeconds);
  }

  remove(name: string): Promise<void> {
    return this.docker.remove(name);
  }

  async logs(name: string, lines: number): Promise<string[]> {
    const out: string[] = [];
    for await (const entry of this.docker.logs(name, { follow: false, tail: lines })) out.push(entry.line);
    return out;
  }

  follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<{ stream: 'stdout' | 'stderr'; line: string }> {
    return this.docker.logs(name, { follow: true, tail }, signal);
  }

  hasHealthcheck(image: string): Promise<boolean> {
    return this.docker.imageHasHealthcheck(image);
  }
}

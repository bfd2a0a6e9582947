/**
 * `DockerEngine`: a small typed client of the Docker Engine API (v1.41) over the local unix
 * socket, built on node:http. No request URL ever carries a secret: environment variables travel
 * in the create body, registry credentials in the `X-Registry-Auth` header.
 *
 * @example
 * const docker = new DockerEngine();
 * await docker.pullImage('127.0.0.1:7070/acme/shop@sha256:…', { username: 'x', password: token, serveraddress: '127.0.0.1:7070' });
 * const id = await docker.createContainer('slw-prod-7-1', { image, env, labels, containerPort: 8080, hostIp: '127.0.0.1' });
 * await docker.startContainer(id);
 * const port = (await docker.inspectContainer(id))?.hostPort;
 *
 * @module
 */
import * as archive from './archive.js';
import * as containers from './containers.js';
import * as images from './images.js';
import * as volumes from './volumes.js';
import { readLogs } from './logs.js';
import { jsonLines } from './streams.js';
import { DockerTransport } from './transport.js';
import type {
  ContainerDetails, ContainerSpec, ContainerSummary, EngineEvent, EventFilters, HealthcheckSpec, LogLine, LogOptions, PullProgress, RegistryAuth,
} from './types.js';
import { fromEvent, type WireEvent } from './wire.js';

/** Options of {@link DockerEngine}. */
export interface DockerEngineOptions {
  /** Default `/var/run/docker.sock`. */
  socketPath?: string;
  /** Default `v1.41` (engine 20.10). */
  apiVersion?: string;
}

/** What `GET /version` says. */
export interface EngineVersion {
  version: string;
  apiVersion: string;
  minApiVersion: string;
  os: string;
  arch: string;
  kernelVersion: string;
}

/** Client of one Docker engine. Every method throws DockerError for an engine error and DockerUnavailableError when nothing answers. */
export class DockerEngine {
  readonly socketPath: string;
  private readonly t: DockerTransport;

  constructor(options: DockerEngineOptions = {}) {
    this.socketPath = options.socketPath ?? '/var/run/docker.sock';
    this.t = new DockerTransport(this.socketPath, options.apiVersion ?? 'v1.41');
  }

  /** Resolves when the engine answers `GET /_ping`. */
  async ping(): Promise<void> {
    await this.t.call({ method: 'GET', path: '/_ping' });
  }

  async version(): Promise<EngineVersion> {
    const r = await this.t.call<{ Version: string; ApiVersion: string; MinAPIVersion: string; Os: string; Arch: string; KernelVersion: string }>({ method: 'GET', path: '/version' });
    const v = r.body;
    return { version: v?.Version ?? '', apiVersion: v?.ApiVersion ?? '', minApiVersion: v?.MinAPIVersion ?? '', os: v?.Os ?? '', arch: v?.Arch ?? '', kernelVersion: v?.KernelVersion ?? '' };
  }

  /** Pulls `ref` (`repo:tag` or `repo@sha256:…`); an error line in the progress stream rejects with DockerError. */
  pullImage(ref: string, auth?: RegistryAuth, onProgress?: (line: PullProgress) => void): Promise<{ digest?: string }> {
    return images.pullImage(this.t, ref, auth, onProgress);
  }

  async imageExists(ref: string): Promise<boolean> {
    return (await images.inspectImage(this.t, ref)) !== null;
  }

  inspectImage(ref: string): Promise<images.ImageDetails | null> {
    return images.inspectImage(this.t, ref);
  }

  /** The image's HEALTHCHECK (null when none or `NONE`); DockerError 404 when the image is not here. */
  imageHealthcheck(ref: string): Promise<HealthcheckSpec | null> {
    return images.imageHealthcheck(this.t, ref);
  }

  removeImage(ref: string, options: { force?: boolean } = {}): Promise<void> {
    return images.removeImage(this.t, ref, options);
  }

  /** Creates the container; ContainerExistsError when the name is taken. Returns its id. */
  createContainer(name: string, spec: ContainerSpec): Promise<string> {
    return containers.createContainer(this.t, name, spec);
  }

  startContainer(id: string): Promise<void> {
    return containers.startContainer(this.t, id);
  }

  stopContainer(id: string, timeoutSeconds: number): Promise<void> {
    return containers.stopContainer(this.t, id, timeoutSeconds);
  }

  removeContainer(id: string, options: { force?: boolean } = {}): Promise<void> {
    return containers.removeContainer(this.t, id, options);
  }

  /** Resolves with the exit code once the container is not running. */
  waitContainer(id: string, signal?: AbortSignal): Promise<number> {
    return containers.waitContainer(this.t, id, signal);
  }

  inspectContainer(idOrName: string): Promise<ContainerDetails | null> {
    return containers.inspectContainer(this.t, idOrName);
  }

  listContainers(options: { labels: Record<string, string>; all: boolean }): Promise<ContainerSummary[]> {
    return containers.listContainers(this.t, options);
  }

  /**
   * The container's output as lines (non-TTY containers). Ends when the logs end, or with
   * `follow` when the container stops; aborting `signal` (or leaving the loop) ends it quietly.
   */
  logs(id: string, options: LogOptions, signal?: AbortSignal): AsyncGenerator<LogLine> {
    return readLogs(this.t, id, options, signal);
  }

  /** The directory `path` of a container (created or running) as a tar stream, entries `./…`. */
  readArchive(container: string, path: string, signal?: AbortSignal): AsyncGenerator<Buffer> {
    return archive.readArchive(this.t, container, path, signal);
  }

  /** Unpacks a tar into a container's directory `path`, owners kept. */
  writeArchive(container: string, path: string, tar: AsyncIterable<Uint8Array>): Promise<void> {
    return archive.writeArchive(this.t, container, path, tar);
  }

  volumeExists(name: string): Promise<boolean> {
    return volumes.volumeExists(this.t, name);
  }

  /** Creates a local volume with these labels unless one of this name exists (which keeps its own labels). */
  ensureVolume(name: string, labels: Record<string, string>): Promise<void> {
    return volumes.ensureVolume(this.t, name, labels);
  }

  /** A volume's labels, or null when there is none of this name. */
  volumeLabels(name: string): Promise<Record<string, string> | null> {
    return volumes.volumeLabels(this.t, name);
  }

  /** Deletes a named volume and its data; a missing one is fine. */
  removeVolume(name: string): Promise<void> {
    return volumes.removeVolume(this.t, name);
  }

  /** Creates the bridge network unless it exists. */
  ensureNetwork(name: string, labels: Record<string, string> = {}): Promise<void> {
    return volumes.ensureNetwork(this.t, name, labels);
  }

  /** Deletes a network nothing is connected to; a missing one is fine. */
  removeNetwork(name: string): Promise<void> {
    return volumes.removeNetwork(this.t, name);
  }

  connectNetwork(network: string, container: string): Promise<void> {
    return volumes.connectNetwork(this.t, network, container);
  }

  /** Engine events matching `filters` (e.g. `{ type: ['container'], label: ['k=v'] }`) until `signal` aborts. */
  async *events(options: { filters?: EventFilters; since?: number } = {}, signal?: AbortSignal): AsyncGenerator<EngineEvent> {
    const query = { filters: JSON.stringify(options.filters ?? {}), since: options.since };
    yield* this.t.stream({ method: 'GET', path: '/events', query, ...(signal ? { signal } : {}) }, async function* (body) {
      for await (const e of jsonLines(body)) yield fromEvent(e as WireEvent);
    });
  }
}

/**
 * The target port, second version: where workloads run, neutral of Docker and of one machine.
 *
 * A target is declarative. The engine hands it a {@link WorkloadSpec} (one per environment
 * release: image by digest, env, replicas, port, resources in neutral units, health check,
 * volumes, networks) with {@link Target.apply} and reads back what runs with
 * {@link Target.observe}: each replica's state, its routable address and its readiness *as the
 * target judges it* (a local engine probes from the same machine; an agent probes on its server;
 * an orchestrator reports its own readiness). `apply` and `remove` return once the target has
 * taken the request; the work (pulling, starting, stopping) goes on in the target, and the engine
 * polls `observe` in short reconciles instead of holding a worker while it waits.
 *
 * Everything a target creates is named deterministically from the spec's name and labelled, so a
 * restarted control plane finds what runs by asking the target, never its own memory. Removing a
 * workload never deletes its volumes; only {@link Target.removeVolume} does.
 *
 * Run-to-completion jobs (pipelines, migrations) are part of the port: {@link Target.runJob},
 * {@link Target.job}, {@link Target.removeJob}. Timeouts are enforced by the target.
 *
 * One contract suite (`target-contract.ts`) defines the port; every target runs it.
 *
 * @module
 */
import type { ObservedReplica } from '../core/rollout.js';

/** Credentials the target pulls the image with (a short-lived token as the password). */
export interface RegistryAuth {
  /** The registry host as in the image reference, e.g. `127.0.0.1:7070`. */
  registry: string;
  username: string;
  password: string;
}

/** How the target decides that a replica is ready to take traffic. */
export type HealthCheck =
  | { type: 'http'; path: string }
  | { type: 'tcp' }
  /** The image's own health check (Docker's HEALTHCHECK); a target without one reports the replica failed. */
  | { type: 'image' }
  /** Ready as soon as it runs (jobs, workers without a port). */
  | { type: 'none' };

/** Resource limits in neutral units; null: no limit. */
export interface Resources {
  /** Thousandths of a CPU (500 = half a CPU). */
  cpuMillis: number | null;
  memoryBytes: number | null;
}

/** A named volume mounted into the workload; it outlives the workload. */
export interface VolumeMount {
  volume: string;
  path: string;
  readOnly?: boolean;
  /** Labels the target creates the volume with when it is missing (an existing volume keeps its own). */
  labels?: Record<string, string>;
}

/** What is common to long-running workloads and jobs. */
export interface RunSpec {
  /** Deterministic and unique on the target, e.g. `slw-acme-shop-prod-r7`. */
  name: string;
  /** By digest: `host/workspace/project@sha256:…`. */
  image: string;
  registryAuth: RegistryAuth | null;
  /** Resolved config plus decrypted secrets: given to the runtime only, never logged or labelled. */
  env: Record<string, string>;
  /** Replaces the image's command; null keeps it. */
  command: string[] | null;
  /** Replaces the image's entrypoint, and its command with it (a pipeline job's `command`); absent or null keeps it. */
  entrypoint?: string[] | null;
  resources: Resources;
  volumes: VolumeMount[];
  /** Private networks to join (created by the target when missing). */
  networks: string[];
  labels: Record<string, string>;
}

/**
 * A volume's files read or written through the target, never by a running process: `image` (one
 * the target has or can pull, e.g. the environment's current release) only lends its filesystem
 * so that the volume is mounted at `path` as the app sees it (an empty new volume takes the
 * image's directory there, owners included, as when a replica first mounts it).
 */
export interface VolumeAccess {
  /** Deterministic and unique while it lasts, e.g. `slw-vio-<backup id>`: what the target names anything it makes for the transfer. */
  name: string;
  volume: string;
  path: string;
  image: string;
  registryAuth: RegistryAuth | null;
  /** Labels the volume is created with when it is missing (importing into a new volume). */
  labels?: Record<string, string>;
}

/** A long-running workload: `replicas` identical instances behind the edge. */
export interface WorkloadSpec extends RunSpec {
  replicas: number;
  /** The TCP port the app listens on; null for a workload nothing routes to. */
  port: number | null;
  health: HealthCheck;
}

/** One replica as the target sees it (the shape the rollout rules in core/rollout.ts read). */
export type ReplicaStatus = ObservedReplica;

/** A workload as the target reports it. */
export interface WorkloadStatus {
  name: string;
  labels: Record<string, string>;
  /** Desired replica count as last applied (0 while being removed). */
  replicas: number;
  /** Every instance there is, by index. */
  instances: ReplicaStatus[];
}

/** A run-to-completion job. */
export interface JobSpec extends RunSpec {
  /** The target ends the job (failed, `timed out`) after this long. */
  timeoutSeconds: number;
}

/** A job as the target reports it. */
export interface JobStatus {
  name: string;
  labels: Record<string, string>;
  state: 'pending' | 'running' | 'succeeded' | 'failed';
  exitCode: number | null;
  message: string | null;
  startedAt: string | null;
  finishedAt: string | null;
}

/** One line of output of a workload's replica or a job. */
export interface OutputLine {
  /** The replica's or job's name. */
  source: string;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface Target {
  /** The name environments use to place themselves here (`local` for the local Docker engine). */
  readonly name: string;
  /**
   * False: the engine rolls a new release out itself (start the new workload, wait until ready,
   * switch the edge, drain, remove the old one). True: the target replaces replicas itself
   * (Swarm, Kubernetes) and the engine only applies and waits.
   */
  readonly rollsOutItself: boolean;

  /**
   * Makes the workload exist as specified: instances 1…replicas run with this spec, instances
   * above `replicas` are removed. Idempotent; returns once the request is taken.
   */
  apply(spec: WorkloadSpec): Promise<void>;
  /** The workload as it is now; null when there is none. */
  observe(name: string): Promise<WorkloadStatus | null>;
  /** Workloads carrying all these labels. */
  list(labels: Record<string, string>): Promise<WorkloadStatus[]>;
  /** Stops (gracefully, SIGKILL after `graceSeconds`) and removes every instance; volumes stay. A missing workload is fine. */
  remove(name: string, graceSeconds: number): Promise<void>;
  /** The last `lines` lines of each instance's output. */
  logs(name: string, lines: number): Promise<OutputLine[]>;
  /** Follows the output of the workload's instances (or a job) until `signal` aborts or they end. */
  follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<OutputLine>;

  /** Starts a job; a job with this name already there is left as it is. */
  runJob(spec: JobSpec): Promise<void>;
  job(name: string): Promise<JobStatus | null>;
  /** Removes a job (stopping it if it runs); a missing job is fine. */
  removeJob(name: string): Promise<void>;

  /** Deletes a named volume and its data; only ever called on purpose. */
  removeVolume(name: string): Promise<void>;
  /**
   * The volume's files as a tar stream, entries relative to the volume (`./…`), owners and modes
   * kept; the volume is mounted read-only for it. Absent on targets that cannot (agent servers).
   */
  exportVolume?(access: VolumeAccess): AsyncIterable<Uint8Array>;
  /** Unpacks such a tar stream into the volume (made with `access.labels` when missing), owners and modes kept; a file there already is replaced. */
  importVolume?(access: VolumeAccess, tar: AsyncIterable<Uint8Array>): Promise<void>;
  /** Deletes a private network nothing uses any more; a missing one is fine (targets without networks omit it). */
  removeNetwork?(name: string): Promise<void>;
}

/** The edge proxy port: routes a domain to upstream addresses. */
export interface Edge {
  setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void>;
  removeRoute(id: string): Promise<void>;
  /** Requests the proxy has in flight to these upstreams now, also after a switch took them out of the route (for the drain); absent when the edge cannot tell. */
  inFlight?(upstreams: string[]): Promise<number>;
  /**
   * One request through the proxy, as a client would send it: GET `path` with `Host: host`. The
   * answer's status, or 0 when none came (refused, reset, timed out). Absent when the control
   * plane cannot reach this edge's listener (the health gate then judges readiness only).
   */
  probe?(host: string, path: string, timeoutMs: number): Promise<number>;
  /**
   * Real traffic to a host as the proxy served it (its access log): `watch` starts counting (and
   * logging) the host, `take` returns what was served since the last take (requests and 5xx,
   * the health gate's own probes left out), `unwatch` stops. Absent when the edge cannot tell.
   */
  traffic?: { watch(host: string): Promise<void>; unwatch(host: string): Promise<void>; take(host: string): { requests: number; errors: number } };
}

/** Where an environment runs: a target and the edge in front of it. */
export interface Placement {
  target: Target;
  edge: Edge;
}

/** The targets an instance knows, by name. */
export interface Placements {
  /** The placement named `name`; throws a SlipwayError that says what to do when there is none. */
  resolve(name: string): Placement;
  names(): string[];
  /** The single targets a placement spans (`a,b` → a and b); absent: just `name`. */
  members?(name: string): string[];
  /** Whether environments of the workspace may be placed there (servers dedicated to another workspace: no); absent: yes. */
  allows?(name: string, workspaceId: string): boolean;
}

/**
 * The deploy target port: where replicas of a release run. The local Docker engine implements it
 * today (src/targets/docker); agents, Swarm and Kubernetes implement the same interface later.
 *
 * Every replica has a deterministic name and the release labels (core/deploy.ts), so a restarted
 * server finds what runs by asking the target, not its own memory.
 *
 * @module
 */

/** What to run for one replica. */
export interface ReplicaSpec {
  name: string;
  /** Image by digest: `host/workspace/project@sha256:…`. */
  image: string;
  /** Resolved config plus decrypted secrets; passed in the create request body only. */
  env: Record<string, string>;
  labels: Record<string, string>;
  /** The port the app listens on inside the replica. */
  port: number;
  memoryBytes: number | null;
  nanoCpus: number | null;
}

/** A replica as the target reports it. */
export interface Replica {
  name: string;
  labels: Record<string, string>;
  running: boolean;
  /** `127.0.0.1:PORT` where the edge proxy reaches it; null when not running. */
  address: string | null;
  /** The image's HEALTHCHECK status, when it has one. */
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  exitCode: number | null;
}

/** Credentials for pulling from Slipway's registry (a short-lived token as the password). */
export interface PullAuth {
  username: string;
  password: string;
  serveraddress: string;
}

export interface Target {
  /** Makes the image available on the target (pull if missing). */
  pull(image: string, auth: PullAuth, onProgress?: (line: string) => void): Promise<void>;
  /** Creates and starts the replica; a replica with this name already there is reused as it is. */
  start(spec: ReplicaSpec): Promise<Replica>;
  inspect(name: string): Promise<Replica | null>;
  /** Replicas carrying all these labels, running or not. */
  list(labels: Record<string, string>): Promise<Replica[]>;
  /** Stops gracefully (SIGTERM, then SIGKILL after `graceSeconds`). */
  stop(name: string, graceSeconds: number): Promise<void>;
  /** Removes it (stopped or not); a missing one is fine. */
  remove(name: string): Promise<void>;
  /** The last `lines` lines of its output. */
  logs(name: string, lines: number): Promise<string[]>;
  /** Follows the output of a replica (after its last `tail` lines) until `signal` aborts or it ends. */
  follow(name: string, signal: AbortSignal, tail: number): AsyncIterable<{ stream: 'stdout' | 'stderr'; line: string }>;
  /** The image's own HEALTHCHECK, if any (for `--health image`). */
  hasHealthcheck(image: string): Promise<boolean>;
}

/** The edge proxy port: routes a domain to upstream addresses. */
export interface Edge {
  setRoute(id: string, hosts: string[], upstreams: string[]): Promise<void>;
  removeRoute(id: string): Promise<void>;
  /** Requests the proxy has in flight to these upstreams now, also after a switch took them out of the route (for the drain). */
  inFlight?(upstreams: string[]): Promise<number>;
}

/**
 * The public shapes of the Docker Engine client: what a caller gives (a container spec, registry
 * credentials) and what it gets back (container details and summaries, log lines, events), in
 * Slipway's own camel-case terms rather than the engine's.
 *
 * @module
 */

/** Credentials for one registry; sent only in the `X-Registry-Auth` header. */
export interface RegistryAuth {
  username: string;
  password: string;
  /** The registry host as in the image reference, e.g. `127.0.0.1:7070`. */
  serveraddress: string;
}

/** One progress line of a pull. */
export interface PullProgress {
  status: string;
  id?: string;
  progress?: string;
}

/** A container health check; times in milliseconds. */
export interface HealthcheckSpec {
  /** `['CMD', 'prog', 'arg']`, `['CMD-SHELL', 'cmd']`, or `['NONE']` to turn the image's off. */
  test: string[];
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs?: number;
}

/** What {@link DockerEngine.createContainer} runs. */
export interface ContainerSpec {
  image: string;
  /** Environment, sent only in the request body; keys must be non-empty and hold no `=`. */
  env: Record<string, string>;
  labels: Record<string, string>;
  /** Replaces the image's CMD (the entrypoint stays). */
  cmd?: string[];
  /** Replaces the image's ENTRYPOINT; the image's CMD then no longer applies (as with `docker run --entrypoint`). */
  entrypoint?: string[];
  /** The TCP port the app listens on inside the container, published on `hostIp`; absent: nothing published. */
  containerPort?: number;
  /** The only host address containers publish on. */
  hostIp: '127.0.0.1';
  /** 0 or absent: the engine picks a free port (read it back with inspect). */
  hostPort?: number;
  memoryBytes?: number;
  /** CPU quota in billionths of a CPU (1e9 = one CPU). */
  nanoCpus?: number;
  /** Absent: `'no'`, the engine's default. */
  restartPolicy?: 'no' | 'unless-stopped' | 'on-failure';
  healthcheck?: HealthcheckSpec;
  /** A user-defined network to attach to instead of the default bridge. */
  network?: string;
  /** Named volumes to mount (created by the engine when missing; never removed with the container). */
  mounts?: Array<{ volume: string; path: string; readOnly?: boolean }>;
}

/** The health the engine reports for a container with a health check. */
export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

/** A container as {@link DockerEngine.inspectContainer} sees it. */
export interface ContainerDetails {
  id: string;
  name: string;
  /** The reference it was created from (`Config.Image`). */
  image: string;
  /** The local image id (`sha256:…`). */
  imageId: string;
  /** The manifest digest when the reference pinned one (`repo@sha256:…`). */
  imageDigest?: string;
  labels: Record<string, string>;
  state: {
    /** `created`, `running`, `paused`, `restarting`, `removing`, `exited` or `dead`. */
    status: string;
    running: boolean;
    exitCode: number;
    /** ISO time; null before the first start. */
    startedAt: string | null;
    finishedAt: string | null;
    health?: HealthStatus;
    /** Output of the last health probe, when there is one. */
    healthOutput?: string;
    oomKilled: boolean;
    /** Why the engine could not start it (e.g. a port already allocated), when it says. */
    error?: string;
    restartCount: number;
  };
  /** The TCP port inside the container that is published, when one is. */
  containerPort?: number;
  /** The 127.0.0.1 port bound to `containerPort` (known once the container runs). */
  hostPort?: number;
  /** `KEY=value` entries, the image's included. Holds secrets: never log it. */
  env: string[];
}

/** A container as {@link DockerEngine.listContainers} sees it. */
export interface ContainerSummary {
  id: string;
  names: string[];
  image: string;
  imageId: string;
  labels: Record<string, string>;
  /** `created`, `running`, `exited`, … */
  state: string;
  /** The engine's human text, e.g. `Up 3 seconds (healthy)`. */
  status: string;
  /** Unix seconds. */
  created: number;
  /** The first TCP port published on 127.0.0.1. */
  hostPort?: number;
  /** The container's address on its first network (reachable from the engine's host). */
  ip?: string;
}

/** One line a container wrote. */
export interface LogLine {
  stream: 'stdout' | 'stderr';
  line: string;
  /** RFC 3339 with nanoseconds, when asked for with `timestamps`. */
  timestamp?: string;
}

/** Options of {@link DockerEngine.logs}. */
export interface LogOptions {
  /** Keep streaming until the container stops (or the signal aborts). */
  follow: boolean;
  /** Unix seconds (fractions allowed): only lines written since. */
  since?: number;
  /** Only the last N log messages (before following); a line over 16 KiB is several messages. */
  tail?: number;
  timestamps?: boolean;
}

/** One engine event, from {@link DockerEngine.events}. */
export interface EngineEvent {
  /** `container`, `image`, `network`, … */
  type: string;
  /** `create`, `start`, `die`, `health_status: healthy`, … */
  action: string;
  /** The object's id (a container id, an image reference). */
  id: string;
  attributes: Record<string, string>;
  /** Unix milliseconds (from the engine's nanoseconds). */
  timeMs: number;
}

/** Filters for events, as the engine names them (`type`, `label`, `container`, `event`, …). */
export type EventFilters = Record<string, string[]>;

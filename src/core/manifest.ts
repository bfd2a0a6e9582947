/**
 * The project manifest (`slipway.yaml`), as Slipway uses it once parsed: what a git build needs,
 * the pipelines (lists of run-to-completion jobs), the release step that runs before traffic
 * moves, and the gates per environment. Pure: the YAML is read and checked in src/manifest/
 * (with the line and column of every error), the shape as written in src/manifest/schema.ts.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** The image of the version being released or tested, in a job's `image`. */
export const buildImage = '$build';

export interface ManifestJob {
  name: string;
  /** `$build` (the version being released or tested) or an image reference. */
  image: string;
  /** Replaces the image's command; a string in the manifest runs through `/bin/sh -c`. Null keeps the image's. */
  command: string[] | null;
  /** Over the environment's config, secrets and service credentials. */
  env: Record<string, string>;
  timeoutSeconds: number;
  resources: { cpuMillis: number | null; memoryBytes: number | null };
  /**
   * Names of the environment's volumes the job mounts, at the paths the environment gives them.
   * Absent when it mounts none (also in manifests stored before jobs could mount volumes), so what
   * a manifest without volumes runs keeps its review digest.
   */
  volumes?: string[];
}

/** When a pipeline runs by itself: five cron fields (UTC) and the environment it runs against. */
export interface ManifestSchedule {
  cron: string;
  environment: string;
}

export interface ManifestPipeline {
  jobs: ManifestJob[];
  /** Absent in manifests stored before schedules existed: none. The release step has none. */
  schedules?: ManifestSchedule[];
}

export interface HealthGate {
  /** How long the environment is watched after the switch. */
  bakeSeconds: number;
  /** The share of failed requests (0–1) above which the release is rolled back. */
  maxErrorRate: number;
  /** The path probed through the edge; null: the environment's health path. */
  path: string | null;
}

export interface ManifestGates {
  approval?: boolean;
  /** A pipeline that must pass against the candidate image. */
  pipeline?: string;
  health?: HealthGate;
}

export interface ManifestBuild {
  /** A runtime of `slipway build` (java, static, node) or `dockerfile`; null: detected. */
  runtime: string | null;
  /** The base image reference; null: the runtime's default. */
  base: string | null;
  /** A Dockerfile's path in the repository; null: `Dockerfile` when the tree has one. */
  dockerfile: string | null;
  /** Whether RUN steps of a Dockerfile build may use the network (default: no). */
  network: boolean;
}

export interface Manifest {
  build: ManifestBuild;
  pipelines: Record<string, ManifestPipeline>;
  /** Jobs that must succeed against the new image before traffic switches (Heroku's release phase). */
  release: ManifestPipeline | null;
  /** By environment name. */
  gates: Record<string, ManifestGates>;
}

/** Limits of a job, whatever the manifest says. */
export const jobLimits = { defaultTimeoutSeconds: 600, maxTimeoutSeconds: 24 * 3600, maxJobs: 20, maxSchedules: 5 } as const;

const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };

/** `90`, `90s`, `10m`, `1h30m`, `500ms` → seconds (a bare number is seconds). */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new SlipwayError('SLW_VALIDATION', `duration ${text} must be a positive number of seconds`);
    return text;
  }
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t);
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== t) {
    throw new SlipwayError('SLW_VALIDATION', `duration '${text}' is not like 30s, 10m or 1h30m`);
  }
  return parts.reduce((n, p) => n + Number(p[1]) * units[p[2]!]!, 0);
}

/** `1%`, `0.5%` or a share `0.01` → a share from 0 to 1. */
export function parseRate(text: string | number): number {
  const share = typeof text === 'number' ? text : /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.test(text) ? Number(text.trim().replace('%', '')) / 100 : Number(text);
  if (!Number.isFinite(share) || share < 0 || share > 1) throw new SlipwayError('SLW_VALIDATION', `rate '${text}' is not a percentage like 1% (or a share from 0 to 1)`);
  return share;
}

/** A pipeline name, a job name: lowercase letters, digits and '-', at most 40. */
export function isManifestName(name: string): boolean {
  return /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/.test(name);
}

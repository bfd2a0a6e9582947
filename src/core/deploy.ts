/**
 * Deploy rules, pure: an environment's runtime settings and their defaults, domains, resource
 * limits, deterministic container names and labels, and who may approve a promotion.
 *
 * @module
 */
import { SlipwayError } from './errors.js';
import type { HealthGate } from './gates.js';
import type { EnvironmentVolume } from './volumes.js';

export const strategies = ['rolling', 'recreate'] as const;
export type Strategy = (typeof strategies)[number];
export const healthTypes = ['http', 'tcp', 'image'] as const;
export type HealthType = (typeof healthTypes)[number];
export const deploymentStatuses = ['queued', 'running', 'cancelling', 'succeeded', 'failed', 'cancelled'] as const;
export type DeploymentStatus = (typeof deploymentStatuses)[number];
/** `testing`: its pipeline gate runs against the candidate image; `baking`: deployed, the health gate watches it; `failed` after a bake: rolled back by the health gate. */
export const promotionStatuses = ['pending-approval', 'rejected', 'testing', 'deploying', 'baking', 'succeeded', 'failed', 'cancelled'] as const;
export type PromotionStatus = (typeof promotionStatuses)[number];

/** What an environment runs with. `null` fields fall back to the defaults below. */
export interface EnvironmentSettings {
  domain: string;
  port: number;
  replicas: number;
  maxSurge: number;
  strategy: Strategy;
  healthType: HealthType;
  healthPath: string;
  /** Seconds a new container gets to become ready. */
  healthTimeout: number;
  memoryBytes: number | null;
  nanoCpus: number | null;
  requireApproval: boolean;
  /** Where it runs: a target's name (`local`: this server's Docker engine). */
  target: string;
  /** Accept only digests that ran successfully in this environment; null accepts every digest. */
  requirePromotionFrom: string | null;
  /** Pipeline gate: a pipeline that must pass against the candidate image before it deploys (core/gates.ts); null: none. */
  gatePipeline: string | null;
  /** Health gate: watched after the switch for its bake time, rolled back when it fails; null: none. */
  gateHealth: HealthGate | null;
  /** Named volumes mounted into every replica (core/volumes.ts); applied at the next release. */
  volumes: EnvironmentVolume[];
}

/** Settings as stored: only what was set. */
export type StoredSettings = Partial<EnvironmentSettings>;

/** `<env>.<project>.<workspace>.localhost`, the domain an environment gets by default. */
export function defaultDomain(workspace: string, project: string, environment: string): string {
  return `${environment}.${project}.${workspace}.localhost`;
}

/** The effective settings: stored values over the defaults (prod requires approval by default). */
export function effectiveSettings(names: { workspace: string; project: string; environment: string }, stored: StoredSettings): EnvironmentSettings {
  return {
    domain: stored.domain ?? defaultDomain(names.workspace, names.project, names.environment),
    port: stored.port ?? 8080,
    replicas: stored.replicas ?? 1,
    maxSurge: stored.maxSurge ?? 1,
    strategy: stored.strategy ?? 'rolling',
    healthType: stored.healthType ?? 'http',
    healthPath: stored.healthPath ?? '/',
    healthTimeout: stored.healthTimeout ?? 60,
    memoryBytes: stored.memoryBytes ?? null,
    nanoCpus: stored.nanoCpus ?? null,
    requireApproval: stored.requireApproval ?? names.environment === 'prod',
    target: stored.target ?? 'local',
    requirePromotionFrom: stored.requirePromotionFrom ?? null,
    gatePipeline: stored.gatePipeline ?? null,
    gateHealth: stored.gateHealth ?? null,
    volumes: stored.volumes ?? [],
  };
}

const label = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

/** A lowercase DNS name with at least two labels, at most 253 characters. */
export function assertDomain(domain: string): string {
  const d = domain.toLowerCase();
  const labels = d.split('.');
  if (d.length > 253 || labels.length < 2 || !labels.every((l) => label.test(l))) {
    throw new SlipwayError('SLW_INVALID_DOMAIN', `'${domain}' is not a domain name: use lowercase labels of letters, digits and '-', separated by dots (e.g. shop.example.com or prod.shop.acme.localhost)`);
  }
  return d;
}

export function assertPort(port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new SlipwayError('SLW_VALIDATION', `port ${port} is not a TCP port (1–65535): give the port the app listens on inside its container`);
  return port;
}

/** The most replicas (and the largest surge) an environment may run. */
export const maxReplicas = 50;

export function assertReplicas(n: number): number {
  if (!Number.isInteger(n) || n < 1 || n > maxReplicas) throw new SlipwayError('SLW_VALIDATION', `replicas must be a whole number from 1 to ${maxReplicas} (got ${n})`);
  return n;
}

export function assertHealthPath(path: string): string {
  if (!/^\/[\x21-\x7e]{0,1023}$/.test(path)) throw new SlipwayError('SLW_VALIDATION', `health path '${path}' must start with / and hold no spaces (e.g. /healthz)`);
  return path;
}

/** `512m`, `1g`, `256Mi`, or bytes → bytes (at least 6 MiB, Docker's floor). */
export function parseMemory(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([kmg]i?b?|b)?$/i.exec(text.trim());
  if (!m) throw new SlipwayError('SLW_VALIDATION', `memory '${text}' is not a size like 512m or 1g`);
  const unit = (m[2] ?? 'b').toLowerCase().replace(/i?b$/, '').replace(/i$/, '');
  const factor = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }[unit] ?? 1;
  const bytes = Math.round(Number(m[1]) * factor);
  if (bytes < 6 * 1024 ** 2) throw new SlipwayError('SLW_VALIDATION', `memory ${text} is below the 6 MiB a container needs at least`);
  return bytes;
}

/** The word that lifts a limit (`env set --memory unlimited`, `--cpus unlimited`): the same word `env show` prints for none. */
export const UNLIMITED = 'unlimited';

/** A limit as `env set` takes it: `unlimited` (null: no limit), else what `parse` reads; a refusal says the word too. */
function limitOrUnlimited(text: string, parse: (text: string) => number): number | null {
  if (text.trim().toLowerCase() === UNLIMITED) return null;
  try {
    return parse(text);
  } catch (error) {
    if (error instanceof SlipwayError && error.code === 'SLW_VALIDATION') throw new SlipwayError('SLW_VALIDATION', `${error.message}; or give ${UNLIMITED} to remove the limit`);
    throw error;
  }
}

/** An environment's memory limit as `env set --memory` takes it: a size, or `unlimited` (null). */
export const parseMemoryLimit = (text: string): number | null => limitOrUnlimited(text, parseMemory);

/** An environment's CPU limit as `env set --cpus` takes it: CPUs, or `unlimited` (null). */
export const parseCpusLimit = (text: string): number | null => limitOrUnlimited(text, parseCpus);

/** CPUs (e.g. `0.5`, `2`) → Docker's NanoCpus. */
export function parseCpus(text: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0 || n > 256) throw new SlipwayError('SLW_VALIDATION', `cpus '${text}' is not a positive number like 0.5 or 2`);
  return Math.round(n * 1e9);
}

/** Labels every engine object of a release carries, so a restarted server finds what runs. */
export function releaseLabels(ids: { workspace: string; project: string; environment: string; environmentId: string; release: number }): Record<string, string> {
  return {
    'io.slipway.managed': 'true',
    'io.slipway.workspace': ids.workspace,
    'io.slipway.project': ids.project,
    'io.slipway.environment': ids.environment,
    'io.slipway.environment-id': ids.environmentId,
    'io.slipway.release': String(ids.release),
  };
}

/** The deterministic name of a release's workload on its target (its replicas are `<name>-<i>`). */
export function workloadName(ids: { workspace: string; project: string; environment: string; release: number }): string {
  return `slw-${ids.workspace}-${ids.project}-${ids.environment}-r${ids.release}`;
}

/** Docker's NanoCpus as thousandths of a CPU (the target port's neutral unit). */
export function cpuMillis(nanoCpus: number | null): number | null {
  return nanoCpus === null ? null : Math.max(1, Math.round(nanoCpus / 1e6));
}

/**
 * Whether `approver` may approve a promotion `requester` asked for: admins and owners only, and
 * not the requester, unless no other admin or owner exists (a one-person workspace).
 */
export function approvalRefusal(approver: { userId: string; role: string }, requesterUserId: string | null, otherApprovers: number): string | null {
  if (approver.role !== 'admin' && approver.role !== 'owner') return `only an admin or owner may approve a promotion (your role: ${approver.role})`;
  if (approver.userId === requesterUserId && otherApprovers > 0) return 'you asked for this promotion; another admin or owner must approve it';
  return null;
}

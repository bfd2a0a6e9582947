/**
 * Translation between Slipway's shapes and the engine's JSON (API v1.41): the create body, and
 * the inspect, list, image and event answers. Pure functions; the engine's field names stay here.
 *
 * @module
 */
import { pinnedDigest } from './image-ref.js';
import type { ContainerDetails, ContainerSpec, ContainerSummary, EngineEvent, HealthcheckSpec, HealthStatus } from './types.js';

const ms = 1_000_000;

/** `Config.Healthcheck` of a container or an image; durations in nanoseconds. */
export interface WireHealthcheck {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

/** The part of `GET /containers/{id}/json` the client reads. */
export interface WireInspect {
  Id: string;
  Name: string;
  Image: string;
  RestartCount?: number;
  State: {
    Status: string; Running: boolean; OOMKilled?: boolean; ExitCode: number; Error?: string; StartedAt?: string; FinishedAt?: string;
    Health?: { Status: string; Log?: Array<{ Output?: string }> | null };
  };
  Config: { Image: string; Env?: string[] | null; Labels?: Record<string, string> | null };
  HostConfig?: { PortBindings?: Record<string, unknown> | null };
  NetworkSettings?: { Ports?: Record<string, Array<{ HostIp: string; HostPort: string }> | null> | null };
}

/** One entry of `GET /containers/json`. */
export interface WireSummary {
  Id: string;
  Names?: string[] | null;
  Image: string;
  ImageID: string;
  Labels?: Record<string, string> | null;
  State: string;
  Status: string;
  Created: number;
  Ports?: Array<{ IP?: string; PrivatePort: number; PublicPort?: number; Type: string }> | null;
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string }> | null } | null;
}

/** One line of `GET /events`. */
export interface WireEvent {
  Type?: string;
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> | null };
  timeNano?: number;
  time?: number;
}

/** The body of `POST /containers/create`; environment values travel only here. */
export function createBody(spec: ContainerSpec): Record<string, unknown> {
  for (const key of Object.keys(spec.env)) {
    if (!key || key.includes('=') || key.includes('\0')) throw new Error(`environment variable name '${key}' is empty or holds '=' or NUL: rename it`);
  }
  const containerPort = spec.containerPort;
  if (containerPort !== undefined && (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535)) throw new Error(`container port ${containerPort} is not 1-65535`);
  const port = containerPort === undefined ? undefined : `${containerPort}/tcp`;
  const hc = spec.healthcheck;
  const restart = spec.restartPolicy ?? 'no';
  return {
    Image: spec.image,
    Env: Object.entries(spec.env).map(([k, v]) => `${k}=${v}`),
    Labels: spec.labels,
    ...(spec.cmd ? { Cmd: spec.cmd } : {}),
    ...(spec.entrypoint ? { Entrypoint: spec.entrypoint } : {}),
    ...(port ? { ExposedPorts: { [port]: {} } } : {}),
    ...(hc
      ? { Healthcheck: { Test: hc.test, Interval: hc.intervalMs * ms, Timeout: hc.timeoutMs * ms, Retries: hc.retries, StartPeriod: (hc.startPeriodMs ?? 0) * ms } }
      : {}),
    HostConfig: {
      ...(port ? { PortBindings: { [port]: [{ HostIp: spec.hostIp, HostPort: spec.hostPort ? String(spec.hostPort) : '' }] } } : {}),
      ...(spec.mounts && spec.mounts.length > 0 ? { Mounts: spec.mounts.map((m) => ({ Type: 'volume', Source: m.volume, Target: m.path, ReadOnly: m.readOnly ?? false })) } : {}),
      RestartPolicy: { Name: restart, ...(restart === 'on-failure' ? { MaximumRetryCount: 0 } : {}) },
      ...(spec.memoryBytes ? { Memory: spec.memoryBytes } : {}),
      ...(spec.nanoCpus ? { NanoCpus: spec.nanoCpus } : {}),
      ...(spec.network ? { NetworkMode: spec.network } : {}),
      // Bounded logs: a chatty app must not fill the disk (3 × 10 MB per container).
      LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } },
    },
  };
}

/** A health check in milliseconds; null when there is none or it is turned off (`NONE`). */
export function fromWireHealthcheck(hc: WireHealthcheck | null | undefined): HealthcheckSpec | null {
  const test = hc?.Test ?? [];
  if (!hc || test.length === 0 || test[0] === 'NONE') return null;
  const spec: HealthcheckSpec = { test, intervalMs: (hc.Interval ?? 0) / ms, timeoutMs: (hc.Timeout ?? 0) / ms, retries: hc.Retries ?? 0 };
  if (hc.StartPeriod) spec.startPeriodMs = hc.StartPeriod / ms;
  return spec;
}

const neverTime = (t: string | undefined): string | null => (!t || t.startsWith('0001-01-01') ? null : t);

function healthOf(status: string | undefined): HealthStatus | undefined {
  return status === 'starting' || status === 'healthy' || status === 'unhealthy' ? status : undefined;
}

/** Maps an inspect answer; the published port is the one `HostConfig.PortBindings` asked for. */
export function fromInspect(c: WireInspect): ContainerDetails {
  const key = Object.keys(c.HostConfig?.PortBindings ?? {}).find((k) => k.endsWith('/tcp'));
  const bound = key ? (c.NetworkSettings?.Ports?.[key] ?? []).find((b) => b.HostIp === '127.0.0.1') : undefined;
  const s = c.State;
  const health = healthOf(s.Health?.Status);
  const lastProbe = s.Health?.Log?.at(-1)?.Output;
  const details: ContainerDetails = {
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    image: c.Config.Image,
    imageId: c.Image,
    labels: c.Config.Labels ?? {},
    state: {
      status: s.Status, running: s.Running, exitCode: s.ExitCode, startedAt: neverTime(s.StartedAt), finishedAt: neverTime(s.FinishedAt),
      oomKilled: s.OOMKilled ?? false, restartCount: c.RestartCount ?? 0,
      ...(health ? { health } : {}), ...(lastProbe ? { healthOutput: lastProbe } : {}), ...(s.Error ? { error: s.Error } : {}),
    },
    env: c.Config.Env ?? [],
  };
  const digest = pinnedDigest(c.Config.Image);
  if (digest) details.imageDigest = digest;
  if (key) details.containerPort = Number(key.split('/')[0]);
  if (bound?.HostPort) details.hostPort = Number(bound.HostPort);
  return details;
}

/** Maps a list entry. */
export function fromSummary(c: WireSummary): ContainerSummary {
  const published = (c.Ports ?? []).find((p) => p.Type === 'tcp' && p.IP === '127.0.0.1' && p.PublicPort);
  const summary: ContainerSummary = {
    id: c.Id, names: (c.Names ?? []).map((n) => n.replace(/^\//, '')), image: c.Image, imageId: c.ImageID,
    labels: c.Labels ?? {}, state: c.State, status: c.Status, created: c.Created,
  };
  if (published?.PublicPort) summary.hostPort = published.PublicPort;
  const ip = Object.values(c.NetworkSettings?.Networks ?? {}).find((n) => n.IPAddress)?.IPAddress;
  if (ip) summary.ip = ip;
  return summary;
}

/** Maps an event line. */
export function fromEvent(e: WireEvent): EngineEvent {
  const timeMs = e.timeNano ? Math.floor(e.timeNano / ms) : (e.time ?? 0) * 1000;
  return { type: e.Type ?? '', action: e.Action ?? '', id: e.Actor?.ID ?? '', attributes: e.Actor?.Attributes ?? {}, timeMs };
}

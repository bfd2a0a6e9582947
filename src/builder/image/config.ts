/**
 * The built image's config: the base config with the runtime's changes (Env, Entrypoint, Cmd,
 * WorkingDir, ExposedPorts), Slipway's labels, the new layers' diff_ids and history, a fixed
 * `created`, and nothing that names the machine that built it.
 *
 * @module
 */
import type { BaseImage } from '../types.js';

/** `created` of the image and of every history entry it adds. */
export const fixedCreated = '1970-01-01T00:00:00Z';

/** What a runtime changes in the container config. */
export interface ConfigChanges {
  /** Set (replacing the base's value). */
  env?: Record<string, string>;
  /** Set unless the base already sets them. */
  envDefaults?: Record<string, string>;
  /** Replaces the Entrypoint and clears Cmd. */
  entrypoint?: string[];
  workingDir?: string;
  /** Added to the base's, e.g. `8080/tcp`. */
  exposedPorts?: string[];
}

export interface NewLayerInfo {
  diffId: string;
  createdBy: string;
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The base's container config (`config`), or an empty one. */
export function containerConfig(base: BaseImage): Json {
  return isObject(base.config.config) ? base.config.config : {};
}

/** Environment variables of a container config, as a map (order kept). */
export function envOf(config: Json): Map<string, string> {
  const env = new Map<string, string>();
  for (const item of Array.isArray(config.Env) ? config.Env : []) {
    if (typeof item !== 'string') continue;
    const eq = item.indexOf('=');
    if (eq > 0) env.set(item.slice(0, eq), item.slice(eq + 1));
  }
  return env;
}

/** The base's labels. */
export function labelsOf(base: BaseImage): Record<string, string> {
  const labels = containerConfig(base).Labels;
  // Own properties (Object.fromEntries), so a label named `__proto__` stays a label.
  return isObject(labels) ? Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string')) : {};
}

export function buildConfig(base: BaseImage, changes: ConfigChanges, labels: Record<string, string>, layers: readonly NewLayerInfo[]): Json {
  const image = structuredClone(base.config);
  for (const key of ['container', 'container_config', 'docker_version', 'id', 'parent']) delete image[key];
  const config: Json = structuredClone(containerConfig(base));
  delete config.Hostname;
  delete config.Domainname;
  const env = envOf(config);
  for (const [k, v] of Object.entries(changes.envDefaults ?? {})) if (!env.has(k)) env.set(k, v);
  for (const [k, v] of Object.entries(changes.env ?? {})) env.set(k, v);
  if (env.size > 0) config.Env = [...env].map(([k, v]) => `${k}=${v}`);
  if (changes.entrypoint) {
    config.Entrypoint = changes.entrypoint;
    delete config.Cmd;
  }
  if (changes.workingDir) config.WorkingDir = changes.workingDir;
  if (changes.exposedPorts?.length) {
    const ports: Json = isObject(config.ExposedPorts) ? { ...config.ExposedPorts } : {};
    for (const p of changes.exposedPorts) ports[p] = {};
    config.ExposedPorts = ports;
  }
  config.Labels = { ...labelsOf(base), ...labels };
  image.config = config;
  image.created = fixedCreated;
  if (typeof image.architecture !== 'string') image.architecture = 'amd64';
  if (typeof image.os !== 'string') image.os = 'linux';
  const rootfs = isObject(image.rootfs) ? image.rootfs : {};
  const diffIds = Array.isArray(rootfs.diff_ids) ? rootfs.diff_ids : [];
  image.rootfs = { ...rootfs, type: 'layers', diff_ids: [...diffIds, ...layers.map((l) => l.diffId)] };
  const history = Array.isArray(image.history) ? image.history : [];
  image.history = [...history, ...layers.map((l) => ({ created: fixedCreated, created_by: l.createdBy, comment: 'slipway build' }))];
  return image;
}

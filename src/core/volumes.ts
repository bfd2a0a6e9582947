/**
 * An environment's persistent volumes, pure: a short name chosen by the user, the absolute path
 * it is mounted at in every replica, and the Docker volume name Slipway derives from the
 * environment's id (never the user's text), with the labels a volume carries.
 *
 * @module
 */
import { SlipwayError } from './errors.js';

/** One volume of an environment, as its settings and its releases record it. */
export interface EnvironmentVolume {
  /** 1–32 of a-z, 0-9 and '-', starting and ending with a letter or digit. */
  name: string;
  /** Absolute path in the container. */
  path: string;
  /** Which Docker volume holds its data: absent or 0 the first, N after the Nth restore from a backup (each restore fills a new one). */
  generation?: number;
}

/** The most volumes one environment may declare. */
export const maxVolumes = 8;

const nameRule = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;
/** Printable ASCII without ':' (Docker's separator), '\\', ',' or quotes. */
const pathRule = /^\/[A-Za-z0-9._@+=~/-]{1,255}$/;

/** Paths no volume may cover: the kernel's and the engine's own (also anything below them). */
const reservedTrees = ['/proc', '/sys', '/dev'];
/** Paths a volume may not replace as a whole (a directory below them is fine, e.g. /etc/app or /usr/local/app/data). */
const reservedExact = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32', '/usr', '/etc', '/boot', '/run', '/var', '/usr/bin', '/usr/lib', '/usr/sbin', '/usr/local'];

const bad = (message: string) => new SlipwayError('SLW_INVALID_VOLUME', message);

/** A volume's name: lowercase letters, digits and '-', at most 32. */
export function assertVolumeName(name: string): string {
  if (!nameRule.test(name)) throw bad(`volume name ${JSON.stringify(name.slice(0, 64))} must be 1–32 lowercase letters, digits and '-', starting and ending with a letter or digit (e.g. data, uploads)`);
  return name;
}

/** A mount path: absolute, not `/`, no `.`/`..` part, no ':' or spaces, not a system path. Returned without a trailing '/'. */
export function assertVolumePath(path: string): string {
  const shown = JSON.stringify(path.slice(0, 300));
  if (!pathRule.test(path)) throw bad(`volume path ${shown} must be an absolute path in the container of letters, digits and . _ - @ + = ~ / (no ':', spaces or quotes), e.g. /var/lib/app`);
  const trimmed = path.replace(/\/+$/, '');
  if (trimmed === '') throw bad('a volume cannot be mounted at /: give a directory such as /data');
  const parts = trimmed.split('/').slice(1);
  if (parts.some((p) => p === '' || p === '.' || p === '..')) throw bad(`volume path ${shown} must not hold '//', '.' or '..' parts: give the directory itself, e.g. /var/lib/app`);
  if (reservedTrees.some((r) => trimmed === r || trimmed.startsWith(`${r}/`)) || reservedExact.includes(trimmed)) {
    throw bad(`volume path ${shown} is a system path (${[...reservedTrees, ...reservedExact].join(', ')} are reserved): give the directory your app keeps its data in, e.g. /var/lib/app or /data`);
  }
  return trimmed;
}

/** `NAME:/PATH` as `env set --volume` takes it. */
export function parseVolumeFlag(text: string): EnvironmentVolume {
  const at = text.indexOf(':');
  if (at < 0) throw bad(`--volume ${JSON.stringify(text.slice(0, 64))} must be NAME:/PATH, e.g. data:/var/lib/app (--remove-volume NAME removes one)`);
  return { name: assertVolumeName(text.slice(0, at)), path: assertVolumePath(text.slice(at + 1)) };
}

/**
 * The volumes after a change: `change` maps a name to its new path (added, or mounted
 * elsewhere: same data) or to null (removed); `null` for the whole change removes them all.
 * Checks every name and path, two volumes on one path, and the count; sorted by name.
 */
export function applyVolumeChange(current: EnvironmentVolume[], change: Record<string, string | null> | null): EnvironmentVolume[] {
  if (change === null) return [];
  const next = new Map(current.map((v) => [v.name, v]));
  for (const [name, path] of Object.entries(change)) {
    assertVolumeName(name);
    // Mounted elsewhere: the same data, so the same generation.
    const generation = next.get(name)?.generation;
    if (path === null) next.delete(name);
    else next.set(name, { name, path: assertVolumePath(path), ...(generation ? { generation } : {}) });
  }
  const volumes = [...next.values()].sort((a, b) => a.name.localeCompare(b.name));
  if (volumes.length > maxVolumes) throw bad(`an environment has at most ${maxVolumes} volumes (this change makes ${volumes.length}); remove one with --remove-volume NAME`);
  const seen = new Map<string, string>();
  for (const v of volumes) {
    const other = seen.get(v.path);
    if (other) throw bad(`volumes ${other} and ${v.name} are both mounted at ${v.path}: give each its own path`);
    seen.set(v.path, v.name);
  }
  return volumes;
}

/**
 * The Docker volume of an environment's volume: `slw-<environment id>-<name>`, and
 * `slw-<environment id>-<name>.g<N>` for generation N (filled by a restore). The id is unique on
 * the instance (lowercase hex and '_'), and '.' is in no volume name, so no two differ only there.
 */
export function dockerVolumeName(environmentId: string, name: string, generation = 0): string {
  return `slw-${environmentId.toLowerCase()}-${name}${generation > 0 ? `.g${generation}` : ''}`;
}

/** The labels a volume is created with: Slipway's, the environment's names and id, its own name. */
export function volumeLabels(ids: { workspace: string; project: string; environment: string; environmentId: string }, name: string): Record<string, string> {
  return {
    'io.slipway.managed': 'true',
    'io.slipway.workspace': ids.workspace,
    'io.slipway.project': ids.project,
    'io.slipway.environment': ids.environment,
    'io.slipway.environment-id': ids.environmentId,
    'io.slipway.volume': name,
  };
}

/** Whether a target setting spreads the environment over several servers (`a,b` or `label:k=v`). */
export function isSpread(target: string): boolean {
  return target.includes(',') || target.startsWith('label:');
}

/** The refusal of a spread placement for an environment with volumes, or null when there is none. */
export function spreadRefusal(what: string, volumes: EnvironmentVolume[], target: string): SlipwayError | null {
  if (volumes.length === 0 || !isSpread(target)) return null;
  return new SlipwayError('SLW_VOLUMES_SPREAD', `${what} has volumes (${volumes.map((v) => v.name).join(', ')}) and cannot be spread over several servers ('${target}'): a volume lives on one server. Place it on one target (--target NAME) or remove its volumes first (--remove-volume NAME)`);
}

/** Volumes as a release stores them (JSON text; older releases hold '[]'). */
export function parseStoredVolumes(text: string | null | undefined): EnvironmentVolume[] {
  if (!text) return [];
  const parsed = JSON.parse(text) as unknown;
  if (!Array.isArray(parsed)) return [];
  return (parsed as EnvironmentVolume[])
    .filter((v) => typeof v?.name === 'string' && typeof v?.path === 'string')
    .map((v) => ({ name: v.name, path: v.path, ...(Number.isSafeInteger(v.generation) && (v.generation ?? 0) > 0 ? { generation: v.generation } : {}) }));
}

/** A volume as a job lists it: `NAME`, or `NAME:ro` to mount it read-only. */
export interface JobVolumeEntry {
  name: string;
  readOnly: boolean;
}

/** Reads `NAME` or `NAME:ro`; anything else is refused (SLW_INVALID_VOLUME) saying what is meant. */
export function parseJobVolume(entry: string): JobVolumeEntry {
  const readOnly = entry.endsWith(':ro');
  const name = readOnly ? entry.slice(0, -3) : entry;
  if (!nameRule.test(name)) {
    throw bad(`a job's volume ${JSON.stringify(entry.slice(0, 64))} must be NAME or NAME:ro, NAME one of the environment's volumes (1–32 lowercase letters, digits and '-'); its path comes from the environment (slipway env set --volume NAME:/PATH)`);
  }
  return { name, readOnly };
}

/**
 * The volumes a job mounts: each one it lists (`NAME` or `NAME:ro`), with the path `declared`
 * gives it — the environment's volumes, or for a release step those recorded with the release it
 * rolls out (`at.release`). A name not declared is refused naming the volumes there are and how to
 * declare one; `at.where` names the environment (e.g. `shop/prod`), `at.flags` the flags that
 * select it on the command line.
 */
export function jobVolumes(job: { name: string; volumes?: string[] }, declared: EnvironmentVolume[], at: { where: string; flags: string; release?: number }): Array<EnvironmentVolume & { readOnly: boolean }> {
  const byName = new Map(declared.map((v) => [v.name, v]));
  return (job.volumes ?? []).map((entry) => {
    const { name, readOnly } = parseJobVolume(entry);
    const found = byName.get(name);
    if (found) return { ...found, readOnly };
    const have = declared.length > 0 ? `its volumes: ${declared.map((v) => `${v.name} at ${v.path}`).join(', ')}` : 'it has none';
    const whose = at.release === undefined ? `not declared by ${at.where}` : `not mounted by release ${at.release} of ${at.where}`;
    const then = at.release === undefined ? '' : ' and deploy again';
    throw bad(`volume '${name}' is ${whose} (${have}); declare it with 'slipway env set --volume ${name}:/PATH ${at.flags}'${then}, or remove it from the volumes of job '${job.name}' in slipway.yaml`);
  });
}

/** What makes a volume backup: a user by hand, a herd upgrade's backup step, a move that carries the volume to another target, a file a user uploaded, or the volume's backup schedule. */
export const volumeBackupTriggers = ['manual', 'upgrade', 'move', 'upload', 'schedule'] as const;
export type VolumeBackupTrigger = (typeof volumeBackupTriggers)[number];

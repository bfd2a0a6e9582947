/**
 * Config overlays in the store. Each change to a layer stores a new version under the project's
 * next config version, compactly: only what changed (a delta), or now and then a full copy of the
 * layer (core/config-versions.ts says when), so storage grows with what is sent, not with the
 * layer's size. Any version can be resolved again exactly (releases snapshot a version; rollback
 * restores it) by replaying the chain from the newest full copy at or below it.
 *
 * @module
 */
import { applyLayerChange, resolveConfig, type Layer, type LayerChange, type ResolvedEntry } from '../core/config.js';
import { applyDelta, deltaData, diffLayers, nextKind, storedBytes, type ChainState, type LayerDiff } from '../core/config-versions.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { lockProject } from '../store/locks.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
import { assertMayChangeWhatRuns } from '../deploy/protected-config.js';
import type { EnvironmentAccess, ProjectAccess } from '../projects/projects.js';

/** A layer's state at some version (version 0: never set). */
export interface LayerState {
  version: number;
  data: Layer;
}

/** The resolved config of an environment. */
export interface ResolvedConfig {
  /** The newest version of either layer that this view includes. */
  version: number;
  entries: ResolvedEntry[];
}

/** Reads a layer (`environmentId` null: the base layer) as of `atVersion` (default: newest). */
export async function readLayer(db: Executor, projectId: string, environmentId: string | null, atVersion?: number): Promise<LayerState> {
  const { version, data } = await readChain(db, projectId, environmentId, atVersion);
  return { version, data };
}

/** A layer's state plus the chain a next version would extend (null: the layer has no version). */
async function readChain(db: Executor, projectId: string, environmentId: string | null, atVersion?: number): Promise<LayerState & { chain: ChainState | null }> {
  const layerRows = () => {
    const q = db.selectFrom('config_layers').where('project_id', '=', projectId);
    const inLayer = environmentId === null ? q.where('environment_id', 'is', null) : q.where('environment_id', '=', environmentId);
    return atVersion === undefined ? inLayer : inLayer.where('version', '<=', atVersion);
  };
  const start = await layerRows().select((eb) => eb.fn.max('version').as('v')).where('kind', '=', 'full').executeTakeFirst();
  if (start?.v === null || start?.v === undefined) return { version: 0, data: {}, chain: null };
  const rows = await layerRows().select(['version', 'kind', 'data', 'changes']).where('version', '>=', Number(start.v)).orderBy('version', 'asc').execute();
  let data: Layer = {};
  let version = 0;
  const chain: ChainState = { fullBytes: 0, deltas: 0, deltaBytes: 0 };
  for (const r of rows) {
    version = r.version;
    if (r.kind === 'full') {
      data = JSON.parse(r.data) as Layer;
      Object.assign(chain, { fullBytes: storedBytes(r.data), deltas: 0, deltaBytes: 0 });
    } else {
      const { removed } = JSON.parse(r.changes) as LayerDiff;
      data = applyDelta(data, JSON.parse(r.data) as Layer, removed);
      chain.deltas += 1;
      chain.deltaBytes += storedBytes(r.data) + storedBytes(JSON.stringify(removed));
    }
  }
  return { version, data, chain };
}

/** The environment's resolved config as of `atVersion` (default: newest). */
export async function resolveEnvironmentConfig(db: Executor, access: EnvironmentAccess, atVersion?: number): Promise<ResolvedConfig> {
  const base = await readLayer(db, access.project.id, null, atVersion);
  const env = await readLayer(db, access.project.id, access.environment.id, atVersion);
  return { version: Math.max(base.version, env.version), entries: resolveConfig(base.data, env.data) };
}

/** The project's base layer. */
export async function readBaseConfig(db: Executor, access: ProjectAccess): Promise<ResolvedConfig> {
  const base = await readLayer(db, access.project.id, null);
  return { version: base.version, entries: resolveConfig(base.data, {}) };
}

/** Result of {@link changeConfig}. */
export interface ConfigChangeResult {
  /** The layer's version after the change (unchanged when nothing differed). */
  version: number;
  changed: boolean;
  keys: string[];
}

/**
 * Applies a change to the base layer (`access.environment` absent) or an environment layer.
 * A change that alters nothing creates no version. On a layer that feeds an environment
 * requiring approval, only an admin or owner changes it (deploy/protected-config.ts).
 */
export async function changeConfig(db: Db, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, change: LayerChange): Promise<ConfigChangeResult> {
  return db.transaction().execute(async (tx) => {
    await assertMayChangeWhatRuns(tx, access, 'its config');
    return changeConfigIn(tx, access, change);
  });
}

/** {@link changeConfig} inside the caller's transaction; `via` says in the audit record what made the change (e.g. a rollback). */
export async function changeConfigIn(tx: Executor, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, change: LayerChange, via?: Record<string, unknown>): Promise<ConfigChangeResult> {
  const environmentId = access.environment?.id ?? null;
  await lockProject(tx, access.project.id);
  const current = await readChain(tx, access.project.id, environmentId);
  const next = applyLayerChange(current.data, change);
  const keys = [...Object.keys(change.set), ...change.unset].sort();
  if (!next.changed) return { version: current.version, changed: false, keys };
  const bumped = await tx
    .updateTable('projects')
    .set((eb) => ({ config_version: eb('config_version', '+', 1) }))
    .where('id', '=', access.project.id)
    .returning('config_version')
    .executeTakeFirstOrThrow();
  const version = bumped.config_version;
  const diff = diffLayers(current.data, next.layer);
  const delta = JSON.stringify(deltaData(next.layer, diff));
  const kind = nextKind(current.chain, storedBytes(delta) + storedBytes(JSON.stringify(diff.removed)));
  await tx
    .insertInto('config_layers')
    .values({
      id: newId('cfg'),
      project_id: access.project.id,
      environment_id: environmentId,
      version,
      kind,
      data: kind === 'full' ? JSON.stringify(next.layer) : delta,
      changes: JSON.stringify(diff),
      created_at: nowIso(),
      created_by: access.principal.userId,
    })
    .execute();
  const layer = access.environment ? `${access.project.name}/${access.environment.name}` : `${access.project.name} (base)`;
  await recordAudit(tx, actorOf(access.principal), {
    workspaceId: access.workspace.id,
    action: 'config.change',
    targetType: 'config',
    target: layer,
    // Keys only: config values can be sensitive even though they are not secrets.
    details: { version, set: Object.keys(change.set).sort(), unset: [...change.unset].sort(), ...via },
  });
  return { version, changed: true, keys };
}

/**
 * Makes the environment's config resolve again to what it resolved to at `version` (the snapshot
 * a rollback restores), as a new version of the environment's layer: its own keys as they were,
 * and the base values it saw then pinned where the base layer has changed since. Keys the base
 * layer gained since cannot be hidden by an environment layer; they are returned.
 */
export async function restoreEnvironmentConfigIn(tx: Executor, access: EnvironmentAccess, version: number, via: Record<string, unknown>): Promise<{ version: number | null; baseKeysKept: string[] }> {
  const pid = access.project.id;
  const [baseThen, envThen, baseNow, envNow] = await Promise.all([readLayer(tx, pid, null, version), readLayer(tx, pid, access.environment.id, version), readLayer(tx, pid, null), readLayer(tx, pid, access.environment.id)]);
  const wanted: Record<string, string> = { ...envThen.data };
  for (const [key, value] of Object.entries(baseThen.data)) if (!(key in envThen.data) && baseNow.data[key] !== value) wanted[key] = value;
  const baseKeysKept = Object.keys(baseNow.data).filter((k) => !(k in baseThen.data) && !(k in envThen.data)).sort();
  const set = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => envNow.data[k] !== v));
  const unset = Object.keys(envNow.data).filter((k) => !(k in wanted));
  if (Object.keys(set).length === 0 && unset.length === 0) return { version: null, baseKeysKept };
  const changed = await changeConfigIn(tx, access, { set, unset }, via);
  return { version: changed.version, baseKeysKept };
}

/** One entry of a layer's history. */
export interface ConfigVersionInfo {
  version: number;
  layer: 'base' | 'environment';
  at: string;
  by: string | null;
  added: string[];
  changed: string[];
  removed: string[];
}

/** One page of history: `next` is the `before` cursor of the next (older) page, null at the end. */
export interface ConfigHistoryPage {
  versions: ConfigVersionInfo[];
  next: number | null;
}

/**
 * The history of the base layer and (when given) one environment's layer, newest first: at most
 * `limit` versions older than `before` (default: from the newest), paged in SQL.
 */
export async function configHistoryPage(db: Executor, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, limit: number, before?: number): Promise<ConfigHistoryPage> {
  const envId = access.environment?.id;
  let q = db
    .selectFrom('config_layers as c')
    .leftJoin('users as u', 'u.id', 'c.created_by')
    .select(['c.version', 'c.environment_id', 'c.changes', 'c.created_at', 'u.email'])
    .where('c.project_id', '=', access.project.id)
    .where((eb) => (envId ? eb.or([eb('c.environment_id', 'is', null), eb('c.environment_id', '=', envId)]) : eb('c.environment_id', 'is', null)));
  if (before !== undefined) q = q.where('c.version', '<', before);
  const rows = await q.orderBy('c.version', 'desc').limit(limit + 1).execute();
  const versions = rows.slice(0, limit).map((r) => {
    const diff = JSON.parse(r.changes) as LayerDiff;
    return { version: r.version, layer: r.environment_id ? ('environment' as const) : ('base' as const), at: r.created_at, by: r.email, added: diff.added, changed: diff.changed, removed: diff.removed };
  });
  return { versions, next: rows.length > limit ? (versions[versions.length - 1]?.version ?? null) : null };
}

/** The newest `limit` versions of the history (see {@link configHistoryPage}). */
export async function configHistory(db: Executor, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, limit: number, before?: number): Promise<ConfigVersionInfo[]> {
  return (await configHistoryPage(db, access, limit, before)).versions;
}

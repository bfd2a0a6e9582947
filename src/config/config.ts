/**
 * Config overlays in the store. Each change to a layer stores the layer's whole new state under
 * the project's next config version, so any version can be resolved again later (releases
 * snapshot a version; rollback restores it).
 *
 * @module
 */
import { applyLayerChange, resolveConfig, type Layer, type LayerChange, type ResolvedEntry } from '../core/config.js';
import { recordAudit } from '../audit/audit.js';
import { newId } from '../platform/ids.js';
import { nowIso } from '../platform/time.js';
import { lockProject } from '../store/locks.js';
import type { Db, Executor } from '../store/schema.js';
import { actorOf } from '../tenancy/principal.js';
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
  let q = db.selectFrom('config_layers').select(['version', 'data']).where('project_id', '=', projectId);
  q = environmentId === null ? q.where('environment_id', 'is', null) : q.where('environment_id', '=', environmentId);
  if (atVersion !== undefined) q = q.where('version', '<=', atVersion);
  const row = await q.orderBy('version', 'desc').limit(1).executeTakeFirst();
  return row ? { version: row.version, data: JSON.parse(row.data) as Layer } : { version: 0, data: {} };
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
 * A change that alters nothing creates no version.
 */
export async function changeConfig(db: Db, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, change: LayerChange): Promise<ConfigChangeResult> {
  const environmentId = access.environment?.id ?? null;
  return db.transaction().execute(async (tx) => {
    await lockProject(tx, access.project.id);
    const current = await readLayer(tx, access.project.id, environmentId);
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
    await tx
      .insertInto('config_layers')
      .values({ id: newId('cfg'), project_id: access.project.id, environment_id: environmentId, version, data: JSON.stringify(next.layer), created_at: nowIso(), created_by: access.principal.userId })
      .execute();
    const layer = access.environment ? `${access.project.name}/${access.environment.name}` : `${access.project.name} (base)`;
    await recordAudit(tx, actorOf(access.principal), {
      workspaceId: access.workspace.id,
      action: 'config.change',
      targetType: 'config',
      target: layer,
      // Keys only: config values can be sensitive even though they are not secrets.
      details: { version, set: Object.keys(change.set).sort(), unset: [...change.unset].sort() },
    });
    return { version, changed: true, keys };
  });
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

/** The history of the base layer and (when given) one environment's layer, newest first. */
export async function configHistory(db: Executor, access: ProjectAccess & Partial<Pick<EnvironmentAccess, 'environment'>>, limit: number): Promise<ConfigVersionInfo[]> {
  const envId = access.environment?.id;
  const rows = await db
    .selectFrom('config_layers as c')
    .leftJoin('users as u', 'u.id', 'c.created_by')
    .select(['c.version', 'c.environment_id', 'c.data', 'c.created_at', 'u.email'])
    .where('c.project_id', '=', access.project.id)
    .where((eb) => (envId ? eb.or([eb('c.environment_id', 'is', null), eb('c.environment_id', '=', envId)]) : eb('c.environment_id', 'is', null)))
    .orderBy('c.version', 'asc')
    .execute();
  const previous = new Map<string, Layer>();
  const out: ConfigVersionInfo[] = [];
  for (const r of rows) {
    const layerKey = r.environment_id ?? 'base';
    const before = previous.get(layerKey) ?? {};
    const after = JSON.parse(r.data) as Layer;
    previous.set(layerKey, after);
    out.push({
      version: r.version,
      layer: r.environment_id ? 'environment' : 'base',
      at: r.created_at,
      by: r.email,
      added: Object.keys(after).filter((k) => !(k in before)),
      changed: Object.keys(after).filter((k) => k in before && before[k] !== after[k]),
      removed: Object.keys(before).filter((k) => !(k in after)),
    });
  }
  return out.reverse().slice(0, limit);
}

/** Routes: an environment's runtime settings (domain, port, replicas, strategy, health, limits, approval). */
import { settingsChangeBody, settingsChangedSchema, settingsViewSchema } from '../../api/settings.js';
import { activeDeployment, currentRelease, type Deployment } from '../../deploy/deployments.js';
import { scale } from '../../deploy/scale.js';
import { changeSettings, getSettings } from '../../deploy/settings.js';
import { gatesOfAccess } from '../../deploy/promotions.js';
import { restartAfterChange } from '../../deploy/restart.js';
import { actorOf } from '../../tenancy/principal.js';
import { SlipwayError } from '../../core/errors.js';
import { certificatesOn } from '../../fleet/servers.js';
import { defineRoute } from '../http/route.js';
import { applyVolumeChange, dockerVolumeName, spreadRefusal } from '../../core/volumes.js';
import type { EnvironmentSettings } from '../../core/deploy.js';
import type { EnvironmentAccess } from '../../projects/projects.js';
import { can } from '../../core/roles.js';
import { assertMayChangeWhatRuns } from '../../deploy/protected-config.js';
import { runningRelease, type VolumeBackupInfo } from '../../volumes/backups.js';
import { backUpForMove, copyAfterMove, stopForMove } from '../../volumes/move.js';
import type { ServerDeps } from '../deps.js';
import { volumeContext } from './volumes.js';

/** The settings with each volume's Docker volume name. */
const withVolumes = <T extends EnvironmentSettings>(access: EnvironmentAccess, s: T) => ({ ...s, volumes: s.volumes.map((v) => ({ ...v, generation: v.generation ?? 0, volume: dockerVolumeName(access.environment.id, v.name, v.generation) })) });

const environment = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}';

/**
 * A move with --copy-volumes: what may carry volumes (a backup and a restore, where the
 * environment requires approval an admin's), then (with --stop-first after its workloads there
 * are stopped) a backup of each on the target it runs on now. Answers the backups, the settings
 * row to go back to should a copy fail, and how many workloads were stopped.
 */
async function carryVolumes(deps: ServerDeps, access: EnvironmentAccess, changesVolumes: boolean, from: string, stopFirst: boolean): Promise<{ backups: VolumeBackupInfo[]; row: string | null; stopped: number }> {
  const active = await activeDeployment(deps.db, access.environment.id);
  if (active) throw new SlipwayError('SLW_DEPLOY_IN_PROGRESS', `${access.project.name}/${access.environment.name} is deploying now; move it once that deploy ends (slipway logs ${active.id} --follow)`);
  if (changesVolumes) throw new SlipwayError('SLW_USAGE', 'a move that copies volumes changes no volume at the same time: change the volumes first, then move with --copy-volumes');
  if (!can(access.role, 'volume.backup') || !can(access.role, 'volume.restore')) throw new SlipwayError('SLW_FORBIDDEN', `your role '${access.role}' cannot back up and restore volumes, which --copy-volumes does; move without it, or ask a workspace admin`);
  await assertMayChangeWhatRuns(deps.db, access, 'the data of its volumes');
  const names = (await getSettings(deps.db, access)).volumes.map((v) => v.name);
  if (names.length === 0) throw new SlipwayError('SLW_USAGE', `${access.project.name}/${access.environment.name} declares no volume: move it without --copy-volumes`);
  // What a backup reads through (the running release's image) is checked before anything stops.
  await runningRelease(deps.db, access, 'reads a volume');
  const row = (await deps.db.selectFrom('environment_settings').select('data').where('environment_id', '=', access.environment.id).executeTakeFirst())?.data ?? null;
  const ctx = volumeContext(deps);
  let stopped = 0;
  try {
    if (stopFirst) stopped = await stopForMove(ctx, access, from);
    return { backups: await backUpForMove(ctx, access, names), row, stopped };
  } catch (error) {
    if (stopFirst) await startAgain(deps, access);
    throw error;
  }
}

/**
 * After a stop-first move failed before it moved: the environment runs again where it was (a
 * release of what ran, trigger move). Its own failure is logged; the caller answers the first error.
 */
async function startAgain(deps: ServerDeps, access: EnvironmentAccess): Promise<void> {
  await restartAfterChange(deps.db, access, 'move', actorOf(access.principal), deps.deploy.enqueue).catch((error: unknown) =>
    deps.logger.error({ err: error, environment: access.environment.id }, 'could not start an environment again after its stop-first move failed; deploy it by hand'),
  );
}

export const settingsRoutes = [
  defineRoute({
    method: 'GET',
    path: `${environment}/settings`,
    operationId: 'getEnvironmentSettings',
    summary: "An environment's runtime settings, defaults filled in, and the certificates of its domain on the servers it runs on",
    tag: 'deploy',
    scope: 'environment',
    permission: 'project.read',
    response: settingsViewSchema,
    handler: async ({ deps, access }) => {
      const settings = await getSettings(deps.db, access);
      return { ...withVolumes(access, settings), gates: await gatesOfAccess(deps.db, access), certificates: await certificatesOn(deps.fleet, settings.target, [settings.domain]) };
    },
  }),
  defineRoute({
    method: 'PATCH',
    path: `${environment}/settings`,
    operationId: 'changeEnvironmentSettings',
    summary: "Changes an environment's runtime settings (null: back to the default); a new replica count is rolled to the running release at once, the rest applies at the next release",
    tag: 'deploy',
    scope: 'environment',
    permission: 'config.write',
    body: settingsChangeBody,
    response: settingsChangedSchema,
    handler: async ({ deps, access, body }) => {
      if (body.target) {
        // Refused before the servers are looked up: a spread placement never takes volumes.
        const now = await getSettings(deps.db, access);
        const spread = spreadRefusal(`${access.project.name}/${access.environment.name}`, body.volumes === undefined ? now.volumes : applyVolumeChange(now.volumes, body.volumes), body.target);
        if (spread) throw spread;
        // A server dedicated to another workspace is as unknown as one that does not exist.
        if (deps.deploy.placements.allows && !deps.deploy.placements.allows(body.target, access.workspace.id)) throw new SlipwayError('SLW_TARGET_UNKNOWN', `there is no target '${body.target}' this workspace can use (slipway server list)`);
        deps.deploy.placements.resolve(body.target);
      }
      const { replicas, copyVolumes, stopFirst, ...rest } = body;
      if (stopFirst === true && copyVolumes !== true) throw new SlipwayError('SLW_USAGE', 'stopFirst stops the environment before its volumes are copied: give it with copyVolumes and a new target (slipway env set --target NAME --copy-volumes --stop-first)');
      if (copyVolumes === true && body.target === undefined) throw new SlipwayError('SLW_USAGE', 'copyVolumes carries the volumes along a move: give the new target with it (slipway env set --target NAME --copy-volumes)');
      // target null goes back to local: a move too, when it ran elsewhere.
      const before = body.target !== undefined ? (await getSettings(deps.db, access)).target : null;
      // --copy-volumes: backups on the old target first (src/volumes/move.ts).
      const carry = copyVolumes === true && before !== null && (body.target ?? 'local') !== before ? await carryVolumes(deps, access, body.volumes !== undefined, before, stopFirst === true) : null;
      let settings = Object.keys(rest).length > 0 ? await changeSettings(deps.db, access, rest) : await getSettings(deps.db, access);
      let scaling: Deployment | null = null;
      // A running environment moved to another target: what runs is released there (with the new replica count, if one is given), then leaves the old one.
      if (before !== null && settings.target !== before) {
        let copiedVolumes;
        try {
          copiedVolumes = carry ? await copyAfterMove(volumeContext(deps), access, carry.backups, carry.row) : undefined;
        } catch (error) {
          // The settings are back on the old target: a stopped environment starts there again.
          if (carry && stopFirst === true) await startAgain(deps, access);
          throw error;
        }
        if (replicas !== undefined) settings = await changeSettings(deps.db, access, { replicas });
        const moved = await restartAfterChange(deps.db, access, 'move', actorOf(access.principal), deps.deploy.enqueue);
        return { ...withVolumes(access, await getSettings(deps.db, access)), scaling: null, moving: moved, ...(copiedVolumes ? { copiedVolumes } : {}), ...(carry && stopFirst === true ? { stoppedFirst: carry.stopped } : {}) };
      }
      if (typeof replicas === 'number' && replicas !== settings.replicas && (await currentRelease(deps.db, access.environment.id)) && !(await activeDeployment(deps.db, access.environment.id))) {
        scaling = await scale(deps.db, access, replicas);
        deps.deploy.enqueue(access.environment.id);
        settings = await getSettings(deps.db, access);
      } else if (replicas !== undefined) {
        settings = await changeSettings(deps.db, access, { replicas });
      }
      return { ...withVolumes(access, settings), scaling };
    },
  }),
];

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

/** The settings with each volume's Docker volume name. */
const withVolumes = <T extends EnvironmentSettings>(access: EnvironmentAccess, s: T) => ({ ...s, volumes: s.volumes.map((v) => ({ ...v, generation: v.generation ?? 0, volume: dockerVolumeName(access.environment.id, v.name, v.generation) })) });

const environment = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}';

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
      const { replicas, ...rest } = body;
      // target null goes back to local: a move too, when it ran elsewhere.
      const before = body.target !== undefined ? (await getSettings(deps.db, access)).target : null;
      let settings = Object.keys(rest).length > 0 ? await changeSettings(deps.db, access, rest) : await getSettings(deps.db, access);
      let scaling: Deployment | null = null;
      // A running environment moved to another target: what runs is released there (with the new replica count, if one is given), then leaves the old one.
      if (before !== null && settings.target !== before) {
        if (replicas !== undefined) settings = await changeSettings(deps.db, access, { replicas });
        const moved = await restartAfterChange(deps.db, access, 'move', actorOf(access.principal), deps.deploy.enqueue);
        return { ...withVolumes(access, settings), scaling: null, moving: moved };
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

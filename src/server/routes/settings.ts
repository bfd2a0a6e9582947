/** Routes: an environment's runtime settings (domain, port, replicas, strategy, health, limits, approval). */
import { z } from 'zod';
import { healthTypes, strategies } from '../../core/deploy.js';
import { activeDeployment, currentRelease, type Deployment } from '../../deploy/deployments.js';
import { scale } from '../../deploy/scale.js';
import { changeSettings, getSettings } from '../../deploy/settings.js';
import { defineRoute } from '../http/route.js';

const settingsSchema = z
  .object({
    domain: z.string(),
    port: z.number().int(),
    replicas: z.number().int(),
    maxSurge: z.number().int(),
    strategy: z.enum(strategies),
    healthType: z.enum(healthTypes),
    healthPath: z.string(),
    healthTimeout: z.number().int(),
    memoryBytes: z.number().int().nullable(),
    nanoCpus: z.number().int().nullable(),
    requireApproval: z.boolean(),
    requirePromotionFrom: z.string().nullable().meta({ description: 'accept only images that ran successfully in this environment' }),
    target: z.string().meta({ description: 'where the environment runs (local: the server’s own Docker engine)' }),
  })
  .meta({ id: 'EnvironmentSettings' });

const environment = '/api/v1/workspaces/{workspace}/projects/{project}/environments/{environment}';

export const settingsRoutes = [
  defineRoute({
    method: 'GET',
    path: `${environment}/settings`,
    operationId: 'getEnvironmentSettings',
    summary: "An environment's runtime settings, defaults filled in",
    tag: 'deploy',
    scope: 'environment',
    permission: 'project.read',
    response: settingsSchema,
    handler: async ({ deps, access }) => getSettings(deps.db, access),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${environment}/settings`,
    operationId: 'changeEnvironmentSettings',
    summary: "Changes an environment's runtime settings (null: back to the default); a new replica count is rolled to the running release at once, the rest applies at the next release",
    tag: 'deploy',
    scope: 'environment',
    permission: 'config.write',
    body: z.strictObject({
      domain: z.string().max(253).nullable().optional().meta({ examples: ['shop.example.localhost'] }),
      port: z.number().int().nullable().optional(),
      replicas: z.number().int().nullable().optional(),
      maxSurge: z.number().int().nullable().optional(),
      strategy: z.enum(strategies).nullable().optional(),
      healthType: z.enum(healthTypes).nullable().optional(),
      healthPath: z.string().nullable().optional(),
      healthTimeout: z.number().int().nullable().optional(),
      memoryBytes: z.number().int().min(6 * 1024 * 1024).nullable().optional(),
      nanoCpus: z.number().int().min(1_000_000).nullable().optional(),
      requireApproval: z.boolean().nullable().optional().meta({ description: 'admins and owners only' }),
      requirePromotionFrom: z.string().min(1).max(63).nullable().optional().meta({ description: 'admins and owners only' }),
      target: z.string().min(1).max(63).nullable().optional(),
    }),
    response: settingsSchema.extend({ scaling: z.unknown().nullable().meta({ description: 'the deployment that scales the running release to the new replica count (a Deployment), if one started' }) }),
    handler: async ({ deps, access, body }) => {
      if (body.target) deps.deploy.placements.resolve(body.target);
      const { replicas, ...rest } = body;
      let settings = Object.keys(rest).length > 0 ? await changeSettings(deps.db, access, rest) : await getSettings(deps.db, access);
      let scaling: Deployment | null = null;
      if (typeof replicas === 'number' && replicas !== settings.replicas && (await currentRelease(deps.db, access.environment.id)) && !(await activeDeployment(deps.db, access.environment.id))) {
        scaling = await scale(deps.db, access, replicas);
        deps.deploy.enqueue(access.environment.id);
        settings = await getSettings(deps.db, access);
      } else if (replicas !== undefined) {
        settings = await changeSettings(deps.db, access, { replicas });
      }
      return { ...settings, scaling };
    },
  }),
];

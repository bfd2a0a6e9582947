/** Routes: an environment's runtime settings (domain, port, replicas, strategy, health, limits, approval). */
import { z } from 'zod';
import { healthTypes, strategies } from '../../core/deploy.js';
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
    summary: "Changes an environment's runtime settings (null: back to the default); applies at the next release",
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
      requireApproval: z.boolean().nullable().optional(),
    }),
    response: settingsSchema,
    handler: async ({ deps, access, body }) => changeSettings(deps.db, access, body),
  }),
];

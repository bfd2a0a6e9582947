/** Routes: config layers (project base and per environment) and their history. */
import { z } from 'zod';
import { changeConfig, configHistoryPage, readBaseConfig, resolveEnvironmentConfig } from '../../config/config.js';
import { configLimits } from '../../core/config.js';
import { defineRoute } from '../http/route.js';
import { restartAfterChange } from '../../deploy/restart.js';
import { actorOf } from '../../tenancy/principal.js';
import { keySchema, timestamp } from '../http/schemas.js';

const entrySchema = z.object({ key: z.string(), value: z.string(), layer: z.enum(['base', 'environment']) });
const resolvedSchema = z.object({ version: z.number().int().meta({ description: 'newest config version this view includes (0: none)' }), entries: z.array(entrySchema) }).meta({ id: 'ResolvedConfig' });
const changeSchema = z
  .strictObject({
    set: z.record(keySchema('config'), z.string().max(configLimits.valueBytes)).default({}),
    unset: z.array(keySchema('config')).max(configLimits.keysPerLayer).default([]),
  })
  .meta({ description: 'keys to set and keys to remove in one layer' });
const changeResultSchema = z.object({ version: z.number().int(), changed: z.boolean(), keys: z.array(z.string()) });
const historySchema = z.object({
  versions: z.array(
    z.object({ version: z.number().int(), layer: z.enum(['base', 'environment']), at: timestamp, by: z.string().nullable(), added: z.array(z.string()), changed: z.array(z.string()), removed: z.array(z.string()) }),
  ),
  next: z.number().int().nullable().meta({ description: 'pass as `before` for the next (older) page; null: no older version' }),
});
const historyQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  before: z.coerce.number().int().min(1).optional().meta({ description: 'only versions older than this one (the `next` of the previous page)' }),
});

const project = '/api/v1/workspaces/{workspace}/projects/{project}';

/** On an environment that runs, a change rolls a new release unless `restart=false`. */
export const restartQuery = z.strictObject({ restart: z.enum(['true', 'false']).default('true').meta({ description: 'false: stage the change for the next release' }) });
/** The release a change started, if it started one. */
export const deploymentRef = z.object({ id: z.string(), releaseNumber: z.number().int() }).nullable().meta({ description: 'the deployment of the new release this change rolled, if the environment runs' });

export const configRoutes = [
  defineRoute({
    method: 'GET',
    path: `${project}/config`,
    operationId: 'getBaseConfig',
    summary: "The project's base config layer",
    tag: 'config',
    scope: 'project',
    permission: 'project.read',
    response: resolvedSchema,
    handler: async ({ deps, access }) => readBaseConfig(deps.db, access),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/config`,
    operationId: 'changeBaseConfig',
    summary: 'Set and unset keys of the base layer; a real change makes a new config version',
    tag: 'config',
    scope: 'project',
    permission: 'config.write',
    body: changeSchema,
    response: changeResultSchema,
    handler: async ({ deps, access, body }) => changeConfig(deps.db, access, body),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/config/history`,
    operationId: 'getBaseConfigHistory',
    summary: 'Versions of the base layer, newest first (keys only), a page at a time',
    tag: 'config',
    scope: 'project',
    permission: 'project.read',
    query: historyQuery,
    response: historySchema,
    handler: async ({ deps, access, query }) => configHistoryPage(deps.db, access, query.limit, query.before),
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/environments/{environment}/config`,
    operationId: 'getEnvironmentConfig',
    summary: "An environment's resolved config, each value with the layer it comes from",
    tag: 'config',
    scope: 'environment',
    permission: 'project.read',
    query: z.strictObject({ version: z.coerce.number().int().min(0).optional().meta({ description: 'resolve as of this config version' }) }),
    response: resolvedSchema,
    handler: async ({ deps, access, query }) => resolveEnvironmentConfig(deps.db, access, query.version),
  }),
  defineRoute({
    method: 'PATCH',
    path: `${project}/environments/{environment}/config`,
    operationId: 'changeEnvironmentConfig',
    summary: "Set and unset keys of an environment's layer",
    tag: 'config',
    scope: 'environment',
    permission: 'config.write',
    body: changeSchema,
    query: restartQuery,
    response: changeResultSchema.extend({ deployment: deploymentRef }),
    handler: async ({ deps, access, body, query }) => {
      const result = await changeConfig(deps.db, access, body);
      const deployment = result.changed && query.restart === 'true' ? await restartAfterChange(deps.db, access, 'config-change', actorOf(access.principal), deps.deploy.enqueue) : null;
      return { ...result, deployment: deployment ? { id: deployment.id, releaseNumber: deployment.releaseNumber } : null };
    },
  }),
  defineRoute({
    method: 'GET',
    path: `${project}/environments/{environment}/config/history`,
    operationId: 'getEnvironmentConfigHistory',
    summary: "Versions of the base and the environment's layer, newest first (keys only), a page at a time",
    tag: 'config',
    scope: 'environment',
    permission: 'project.read',
    query: historyQuery,
    response: historySchema,
    handler: async ({ deps, access, query }) => configHistoryPage(deps.db, access, query.limit, query.before),
  }),
];
